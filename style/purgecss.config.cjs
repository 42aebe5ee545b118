// The NHS.UK stylesheet as shipped: `cargo xtask` runs PurgeCSS on the
// built site's copy after each release build, keeping only the NHS.UK
// classes (`nhsuk-…`) that our code names. Every other selector stays:
// elements, attributes and states style the Markdown pages and
// administrators' text, whose markup is not known at build time. Paths
// are from the repository root.
module.exports = {
  content: ["crates/**/*.rs", "style/**/*.css"],
  css: ["target/site/css/nhsuk-frontend.min.css"],
  output: "target/site/css",
  safelist: { standard: [/^(?!nhsuk-)/] },
};
