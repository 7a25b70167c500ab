//! Operations endpoints: liveness and readiness.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use domain::Services;
use serde_json::{Value, json};

/// `GET /healthz`: the process is alive and serving.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers; 503 otherwise. Anyone may ask, so the
/// answer says only what failed in general words: the driver's text (host
/// names, user names, file paths) goes to the log, never to the caller.
pub async fn readyz(State(services): State<Services>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(DB_WAIT, services.db.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": services.db.backend().label() })),
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "readiness check failed: the database did not answer");
            not_ready("database unreachable")
        }
        Err(_) => {
            tracing::error!("readiness check failed: the database did not answer within 3 seconds");
            not_ready("database did not answer within 3 seconds")
        }
    }
}

/// How long readiness waits for the database.
const DB_WAIT: Duration = Duration::from_secs(3);

fn not_ready(reason: &'static str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": reason })),
    )
}
