//! Reusable pieces of the portal's UI.

mod charts;
mod copy_button;
mod end_user;
mod form;
mod layout;
mod probe_chart;
mod reauth;
mod tool_calls;

pub use charts::{Bar, Fill, LatencyChart, LatencyPoint, Series, StackedBars, scale_top};
pub use copy_button::CopyButton;
pub use end_user::{BrandHeader, SecuredBy, accent_css};
pub use form::{
    FieldError, FormError, RowError, TextField, bump_on_success, described_by, field_message,
    invalid, last_error, plain_post_error, reset_on_success,
};
pub use layout::{Brand, Layout, PublicFrame, ThemeSignal};
pub use probe_chart::ProbeChart;
pub use reauth::ReauthField;
pub use tool_calls::ToolCallsTable;
