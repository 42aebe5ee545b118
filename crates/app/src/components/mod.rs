/// Skip link, header, footer and breadcrumbs: the frame of every page.
pub mod layout;

/// `<title>`, meta description and canonical link for a page.
pub mod head;

/// Error summary, fields and the no-JavaScript echo of a failed form.
pub mod form;

/// A one-time code with a copy button.
pub mod copy;

/// Previous and next links for lists that run to several pages.
pub mod pager;

/// Tables with their captions and headings, and a page of a long list.
pub mod table;

/// The administrators' file upload, with a progress bar when JavaScript runs.
pub mod upload;

/// Bar charts drawn on the server as SVG, with their figures as a table.
pub mod chart;
