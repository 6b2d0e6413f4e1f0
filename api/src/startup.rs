//! `Application`: the server built from settings; `build_app`: the route table shared by the
//! server and the tests.
use std::{net::TcpListener, sync::Arc, time::Instant};

use actix_web::{
    App, Error, HttpMessage, HttpResponse, HttpServer,
    body::MessageBody,
    dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::{Next, from_fn},
    web,
};
use sea_orm::DatabaseConnection;
use tracing::Instrument;

use crate::{
    config::Settings,
    db,
    graphql::{self, schema::AppSchema},
    state::Services,
};

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub schema: AppSchema,
}

impl AppState {
    pub fn new(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let services = Arc::new(Services::new(settings, db)?);
        let schema = graphql::schema::build(services.clone());
        Ok(Self { services, schema })
    }
}

/// The request id: the caller's `X-Request-Id` when it is sane, a new UUID otherwise.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), v);
    }
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            latency_us = started.elapsed().as_micros() as u64,
            "request finished"
        )
    });
    Ok(res)
}

/// GraphiQL's page and assets, compiled into the binary so that `/graphiql` works without
/// internet and under `default-src 'self'` (where they come from:
/// `api/assets/graphiql/README.md`). Each asset is served at
/// `/graphiql/<first 12 hex digits of its SHA-256>/<file>`, so it can be cached forever.
mod graphiql_assets {
    use std::sync::LazyLock;

    use sha2::{Digest, Sha256};

    pub struct Asset {
        pub name: &'static str,
        pub content_type: &'static str,
        pub bytes: &'static [u8],
        pub version: String,
    }

    macro_rules! asset {
        ($name:literal, $content_type:literal) => {
            (
                $name,
                $content_type,
                include_bytes!(concat!("../assets/graphiql/", $name)) as &'static [u8],
            )
        };
    }

    const FILES: [(&str, &str, &[u8]); 9] = [
        asset!("graphiql.min.css", "text/css; charset=utf-8"),
        asset!("page.css", "text/css; charset=utf-8"),
        asset!("react.production.min.js", "text/javascript; charset=utf-8"),
        asset!(
            "react-dom.production.min.js",
            "text/javascript; charset=utf-8"
        ),
        asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
        asset!("init.js", "text/javascript; charset=utf-8"),
        asset!("LICENSE-graphiql", "text/plain; charset=utf-8"),
        asset!("LICENSE-react", "text/plain; charset=utf-8"),
        asset!("LICENSE-react-dom", "text/plain; charset=utf-8"),
    ];

    pub static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
        FILES
            .iter()
            .map(|&(name, content_type, bytes)| Asset {
                name,
                content_type,
                bytes,
                version: Sha256::digest(bytes)[..6]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            })
            .collect()
    });

    /// `index.html` with each `{{file}}` replaced by that asset's versioned path
    /// (`{{nonce}}` is filled in per response).
    static PAGE: LazyLock<String> = LazyLock::new(|| {
        let mut page = include_str!("../assets/graphiql/index.html").to_string();
        for a in ASSETS.iter() {
            page = page.replace(
                &format!("{{{{{}}}}}", a.name),
                &format!("/graphiql/{}/{}", a.version, a.name),
            );
        }
        page
    });

    /// The page with a fresh style nonce, and its Content-Security-Policy: same origin only
    /// (fonts and icons are `data:` URLs inside graphiql.min.css). GraphiQL's menus add one
    /// `<style>` element (react-remove-scroll's scroll lock); `init.js` hands it the nonce
    /// through `__webpack_nonce__`, so no `'unsafe-inline'` is needed.
    pub fn page_and_csp() -> (String, String) {
        use base64::Engine;
        let nonce = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
        let csp = format!(
            "default-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; \
             font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; \
             frame-ancestors 'none'"
        );
        (PAGE.replace("{{nonce}}", &nonce), csp)
    }
}

async fn graphiql() -> HttpResponse {
    let (page, csp) = graphiql_assets::page_and_csp();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page)
}

async fn graphiql_asset(path: web::Path<(String, String)>) -> HttpResponse {
    let (version, name) = path.into_inner();
    match graphiql_assets::ASSETS
        .iter()
        .find(|a| a.version == version && a.name == name)
    {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .body(a.bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn schema_sdl(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(graphql::schema::sdl_of(&state.schema))
}

async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// 200 when the database answers a ping within a second; 503 otherwise (never a hang).
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let services = &state.services;
    if db::ping(&services.db).await {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        services.db_health.mark_down(&services.db);
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "1"))
            .content_type("text/plain")
            .body("database unavailable")
    }
}

/// The application: routes, limits and middleware. The server and the tests both use this.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let limits = state.services.settings.limits.clone();
    let graphiql_enabled = limits.introspection;
    let mut app = App::new()
        .wrap(from_fn(request_context))
        .app_data(web::PayloadConfig::new(limits.max_body_bytes))
        .app_data(web::Data::new(state))
        .route("/", web::get().to(crate::home::home))
        .route("/graphql", web::post().to(graphql::http::post))
        .route("/graphql", web::get().to(graphql::http::get))
        .route("/graphql/ws", web::get().to(crate::live::ws::handler))
        .route(
            "/graphql",
            web::route().to(|| async {
                let response = HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, "GET, POST"))
                    .finish();
                crate::metrics::observe_rejected(
                    crate::metrics::Rejection::MethodNotAllowed,
                    response.status().as_u16(),
                );
                response
            }),
        )
        .route(
            "/export/dashboard.csv",
            web::get().to(crate::export::dashboard_csv),
        )
        .route(
            "/export/households.csv",
            web::get().to(crate::export::households_csv),
        )
        .route("/livez", web::get().to(livez))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(crate::metrics::endpoint));
    if limits.publishes_schema() {
        app = app.route("/schema.graphql", web::get().to(schema_sdl));
    }
    if graphiql_enabled {
        app = app
            .route("/graphiql", web::get().to(graphiql))
            .route("/graphiql/{version}/{file}", web::get().to(graphiql_asset));
    }
    app
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects to the configured database, prepares it and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings).await?;
        db::prepare(&db).await?;
        Self::build_with_db(settings, db)
    }

    /// Binds `APP_HOST:APP_PORT` (port 0 picks a free port, as the tests do).
    pub fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        let address = format!("{}:{}", settings.host, settings.port);
        let listener = TcpListener::bind(&address)
            .map_err(|e| anyhow::anyhow!("APP_HOST/APP_PORT: cannot listen on {address}: {e}"))?;
        let port = listener.local_addr()?.port();
        let graphiql = settings.limits.introspection;
        let host = settings.host.clone();
        crate::maintenance::spawn_periodic(db.clone(), settings.ops.clone());
        let state = AppState::new(settings, db)?;
        let server = HttpServer::new(move || build_app(state.clone()))
            .listen(listener)?
            .run();
        let base = format!("http://{host}:{port}");
        if graphiql {
            tracing::info!(
                "PPAOS API listening: GraphQL endpoint {base}/graphql, GraphiQL {base}/graphiql"
            );
        } else {
            tracing::info!("PPAOS API listening: GraphQL endpoint {base}/graphql (GraphiQL off)");
        }
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
