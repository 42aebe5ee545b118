// Starts the app on the visitor's first action: see `StartOnFirstTouch`.
(function (script, wasm) {
	const first = ["pointermove", "pointerdown", "touchstart", "keydown", "focusin", "wheel", "scroll"];
	const again = ["pointerdown", "keydown"];
	const listen = (events, on) => {
		for (const event of events) {
			if (on) addEventListener(event, start, { capture: true, passive: true });
			else removeEventListener(event, start, true);
		}
	};
	const start = () => {
		listen(first, false);
		import(script)
			.then((app) => app.default({ module_or_path: wasm }).then(() => app))
			.then((app) => app.hydrate(), () => listen(again, true));
	};
	listen(first, true);
})
