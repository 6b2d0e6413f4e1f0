//! CSV exports over HTTP: `GET /export/dashboard.csv?areaCode=&from=&to=` (a dashboard's
//! table) and `GET /export/households.csv?areaCode=&status=` (the caller's households,
//! de-identified columns only). Bearer token as for `/graphql`; the same role rules as the
//! GraphQL fields; each export is recorded as an EXPORT audit event with its filter before
//! anything is sent; bad parameters are 400 with the API's JSON error naming the parameter.
//! See docs/dashboards.md.
use std::collections::HashMap;

use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::header, web};
use chrono::NaiveDate;
use entity::{
    assessment,
    enums::{AssessmentStatus, AuditAction, HouseholdStatus},
    household,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::{
    audit::service::{Actor, AuditEntry, record},
    auth::{Scope, Viewer, policy, service::resolve_viewer},
    dashboard::{service as dashboards, table::Layout},
    error::{ApiError, ApiResult},
    graphql::{http::bearer, node},
    household::service::visible_households,
    startup::{AppState, RequestId},
};

/// Households per page of the households export (one keyset page per chunk sent).
pub const PAGE: u64 = 500;

const CSV: &str = "text/csv; charset=utf-8";

/// The API's JSON error with the status its code calls for (`ApiError::http_response`).
fn error(err: ApiError) -> HttpResponse {
    err.http_response("application/json")
}

/// The signed-in caller, exactly as `/graphql` resolves it (revoked sessions refused).
async fn viewer(req: &HttpRequest, state: &AppState) -> ApiResult<Viewer> {
    match bearer(req) {
        None => Err(ApiError::Unauthenticated("sign in first".into())),
        Some(Err(())) => Err(ApiError::Unauthenticated(
            "the Authorization header must be 'Bearer <token>'".into(),
        )),
        Some(Ok(token)) => resolve_viewer(&state.services.db, &state.services.keys, token).await,
    }
}

fn actor(req: &HttpRequest, viewer: &Viewer) -> ApiResult<Actor> {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    Ok(Actor::account(viewer.account()?, &request_id))
}

fn params(req: &HttpRequest) -> ApiResult<HashMap<String, String>> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|_| ApiError::bad_input("query", "the query string cannot be read"))
}

fn date(params: &HashMap<String, String>, name: &str) -> ApiResult<Option<NaiveDate>> {
    match params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::bad_input(name, format!("{name} is a date (YYYY-MM-DD)"))),
    }
}

/// A text cell that a spreadsheet would read as a formula gets a leading quote.
fn text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_line(cells: &[String]) -> ApiResult<web::Bytes> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells).map_err(ApiError::internal)?;
    w.into_inner()
        .map(web::Bytes::from)
        .map_err(ApiError::internal)
}

/// `GET /export/dashboard.csv`: one row per area (the area, then its children), the columns
/// of `Layout` (suppressed cells empty), then each intervention kind's quantity and cost.
pub async fn dashboard_csv(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match dashboard_body(&req, &state).await {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, CSV))
            .insert_header((
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"dashboard.csv\"",
            ))
            .body(body),
        Err(err) => error(err),
    }
}

async fn dashboard_body(req: &HttpRequest, state: &AppState) -> ApiResult<Vec<u8>> {
    let viewer = viewer(req, state).await?;
    policy::DASHBOARD_READERS.check(&viewer)?;
    let p = params(req)?;
    let request = dashboards::request(
        p.get("areaCode")
            .map(String::as_str)
            .filter(|s| !s.is_empty()),
        date(&p, "from")?,
        date(&p, "to")?,
        dashboards::today(),
    )?;
    let s = &state.services;
    let scope = Scope::for_viewer(&viewer);
    let data = dashboards::dashboard(
        &s.db,
        &s.live,
        &s.dashboards,
        &scope,
        s.settings.measurement.suppression_k,
        &request,
    )
    .await?
    .assembled;
    let filter = format!(
        "areaCode={}&from={}&to={}",
        request.area, request.period.from, request.period.to
    );
    record(
        &s.db,
        AuditEntry::by(&actor(req, &viewer)?, AuditAction::Export)
            .entity(
                "Dashboard",
                if request.area.is_empty() {
                    "country"
                } else {
                    request.area.as_str()
                },
            )
            .fields(["areaCode", "from", "to"])
            .reason(filter),
    )
    .await?;

    let mut w = csv::Writer::from_writer(Vec::new());
    let kinds = Layout::delivery_keys();
    let kind_name = |k: &Option<entity::enums::InterventionKind>| {
        k.map_or("total".to_string(), |k| k.to_value())
    };
    let mut header: Vec<String> = ["area_code", "name_th", "name_en", "exact"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(data.layout.columns.iter().cloned());
    for k in &kinds {
        header.push(format!("interventions.{}.quantity", kind_name(k)));
        header.push(format!("interventions.{}.cost_baht", kind_name(k)));
    }
    w.write_record(&header).map_err(ApiError::internal)?;
    let count_col = |k: &Option<entity::enums::InterventionKind>| {
        data.layout
            .col(&format!("interventions.{}", kind_name(k)))
            .expect("an intervention column")
    };
    for shown in &data.areas {
        let row = &shown.row;
        let mut record: Vec<String> = vec![
            row.cells.code.clone(),
            shown
                .area
                .as_ref()
                .map(|a| text_cell(&a.name_th))
                .unwrap_or_default(),
            shown
                .area
                .as_ref()
                .map(|a| text_cell(&a.name_en))
                .unwrap_or_default(),
            row.exact.to_string(),
        ];
        for (c, v) in row.cells.values.iter().enumerate() {
            record.push(if row.hidden[c] {
                String::new()
            } else {
                v.to_string()
            });
        }
        for (i, k) in kinds.iter().enumerate() {
            if row.hidden[count_col(k)] {
                record.push(String::new());
                record.push(String::new());
            } else {
                let a = row.cells.amounts[i];
                record.push(a.quantity.to_string());
                record.push(format!("{:.2}", a.satang as f64 / 100.0));
            }
        }
        w.write_record(&record).map_err(ApiError::internal)?;
    }
    w.into_inner().map_err(ApiError::internal)
}

/// The households export's filter, checked.
struct HouseholdFilter {
    area: Option<crate::area::prefix::DopaPrefix>,
    statuses: Vec<HouseholdStatus>,
}

fn household_filter(p: &HashMap<String, String>) -> ApiResult<HouseholdFilter> {
    let area = p
        .get("areaCode")
        .filter(|s| !s.trim().is_empty())
        .map(|s| crate::area::prefix::DopaPrefix::parse(s, "areaCode"))
        .transpose()?;
    let mut statuses = Vec::new();
    for raw in p
        .get("status")
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<&str>>()
        })
        .unwrap_or_default()
    {
        let status = HouseholdStatus::iter()
            .find(|s| s.to_value() == raw)
            .ok_or_else(|| {
                ApiError::bad_input(
                    "status",
                    "status is a comma-separated list of household states",
                )
            })?;
        statuses.push(status);
    }
    Ok(HouseholdFilter { area, statuses })
}

/// `GET /export/households.csv`: the caller's visible households, de-identified: global id,
/// village code, state, source, reported size, and the ACTIVE assessment's overall and
/// income level. No names, identity numbers, house numbers, addresses or locations.
pub async fn households_csv(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let prepared = async {
        let viewer = viewer(&req, &state).await?;
        policy::HOUSEHOLD_READERS.check(&viewer)?;
        let filter = household_filter(&params(&req)?)?;
        let details = format!(
            "areaCode={}&status={}",
            filter.area.as_ref().map(|a| a.as_str()).unwrap_or(""),
            filter
                .statuses
                .iter()
                .map(|s| s.to_value())
                .collect::<Vec<_>>()
                .join(",")
        );
        record(
            &state.services.db,
            AuditEntry::by(&actor(&req, &viewer)?, AuditAction::Export)
                .entity("Household", "csv")
                .fields(["areaCode", "status"])
                .reason(details),
        )
        .await?;
        Ok::<_, ApiError>((Scope::for_viewer(&viewer), filter))
    }
    .await;
    let (scope, filter) = match prepared {
        Ok(p) => p,
        Err(err) => return error(err),
    };
    let db = state.services.db.clone();
    let header = csv_line(
        &[
            "household_id",
            "village_code",
            "status",
            "source",
            "household_size",
            "overall_level",
            "income_level",
        ]
        .map(String::from),
    );
    // The header, then one chunk per keyset page of households (ids ascending).
    let pages = futures::stream::unfold((Some(Uuid::nil()), true), move |(after, first)| {
        let db = db.clone();
        let scope = scope.clone();
        let area = filter.area.clone();
        let statuses = filter.statuses.clone();
        let header = header.as_ref().ok().cloned();
        async move {
            if first {
                let chunk = header.ok_or_else(|| actix_web::error::ErrorInternalServerError("csv"));
                return Some((chunk, (after, false)));
            }
            let after = after?;
            match page(&db, &scope, area.as_ref(), &statuses, after).await {
                Ok((bytes, next)) => Some((Ok(bytes), (next, false))),
                Err(err) => {
                    // The status line has gone out: the cause goes to the log and the
                    // client sees a broken transfer.
                    err.log_cause();
                    tracing::error!(code = err.code(), "households export stopped");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        (None, false),
                    ))
                }
            }
        }
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, CSV))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"households.csv\"",
        ))
        .streaming(pages)
}

/// One page of households after `after` as CSV lines, and the id to continue after (None at
/// the end).
async fn page(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&crate::area::prefix::DopaPrefix>,
    statuses: &[HouseholdStatus],
    after: Uuid,
) -> ApiResult<(web::Bytes, Option<Uuid>)> {
    let mut select = visible_households(scope).filter(household::Column::Id.gt(after));
    if let Some(area) = area {
        select = select.filter(household::Column::VillageCode.like(area.pattern()));
    }
    if !statuses.is_empty() {
        select = select.filter(household::Column::Status.is_in(statuses.to_vec()));
    }
    let households = select
        .order_by_asc(household::Column::Id)
        .limit(PAGE)
        .all(db)
        .await?;
    let levels: HashMap<Uuid, (String, String)> = if households.is_empty() {
        HashMap::new()
    } else {
        assessment::Entity::find()
            .filter(assessment::Column::HouseholdId.is_in(households.iter().map(|h| h.id)))
            .filter(assessment::Column::Status.eq(AssessmentStatus::Active))
            .all(db)
            .await?
            .into_iter()
            .map(|a| {
                (
                    a.household_id,
                    (a.overall_level.to_value(), a.income_level.to_value()),
                )
            })
            .collect()
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    for h in &households {
        let (overall, income) = levels.get(&h.id).cloned().unwrap_or_default();
        w.write_record([
            node::encode("Household", h.id).0,
            h.village_code.clone(),
            h.status.to_value(),
            h.source.to_value(),
            h.household_size.map(|n| n.to_string()).unwrap_or_default(),
            overall,
            income,
        ])
        .map_err(ApiError::internal)?;
    }
    let next = (households.len() as u64 == PAGE)
        .then(|| households.last().map(|h| h.id))
        .flatten();
    let bytes = w.into_inner().map_err(ApiError::internal)?;
    Ok((web::Bytes::from(bytes), next))
}
