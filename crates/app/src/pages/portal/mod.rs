/// `/portal`: the member's home.
pub mod home;

/// `/portal/library`, a resource's page and saved resources.
pub mod library;

/// `/portal/messages`: writing to the team, and the answers.
pub mod messages;

/// `/portal/my-data`: everything held about the member, and its download.
pub mod my_data;
