//! Reading a request into plain values: bodies, paths and query strings whose rejections are
//! `AppError`s, who the client is (and what it may still do), and who is logged in. Each
//! extractor is generic over the router's state and takes only the parts it needs through axum's
//! `FromRef` ("substates"), listed here for [`AppState`].

pub(crate) mod client;
pub(crate) mod json;
pub(crate) mod path;
pub(crate) mod presenter;
pub(crate) mod query;
pub(crate) mod staff;

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use crate::limits::client_limits::ClientLimits;
use crate::polls::ballots::devices::BallotDevices;
use crate::settings::Settings;
use crate::state::AppState;

impl FromRef<AppState> for DatabaseConnection {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<Settings> {
    fn from_ref(state: &AppState) -> Self {
        state.settings.clone()
    }
}

impl FromRef<AppState> for Arc<ClientLimits> {
    fn from_ref(state: &AppState) -> Self {
        state.limits.clone()
    }
}

impl FromRef<AppState> for Arc<BallotDevices> {
    fn from_ref(state: &AppState) -> Self {
        state.devices.clone()
    }
}
