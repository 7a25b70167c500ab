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

/// `GET /readyz`: the database answers; 503 with the reason otherwise.
pub async fn readyz(State(services): State<Services>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(Duration::from_secs(3), services.db.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": services.db.backend().label() })),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            not_ready(format!("database unreachable: {e}"))
        }
        Err(_) => not_ready("database did not answer within 3 seconds".into()),
    }
}

fn not_ready(reason: String) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": reason })),
    )
}
