use axum::Json;
use axum::http::StatusCode;
use backend::Db;
use serde_json::{Value, json};

/// Where liveness is answered.
pub const LIVE_PATH: &str = "/healthz";

/// Where readiness is answered.
pub const READY_PATH: &str = "/readyz";

/// Liveness: the process is up and answering.
pub async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers. A load balancer should stop sending
/// traffic to an instance that returns 503 here.
pub async fn ready(db: Db) -> (StatusCode, Json<Value>) {
    match db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": db.backend().name() })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": db.backend().name() })),
            )
        }
    }
}
