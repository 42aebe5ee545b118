/// `/portal`: the member's home.
pub mod home;
