//! `GET /`: a small page that says what this service is, its version, and where to go next
//! (GraphiQL and the published schema, each linked only when it is served). No script, no
//! style sheet: its Content-Security-Policy allows nothing but the page itself.
use actix_web::{HttpResponse, http::header, web};

use crate::startup::AppState;

/// The page's policy: no script, style, image or frame of any origin.
pub const HOME_CSP: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; \
                            frame-ancestors 'none'";

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    let limits = &state.services.settings.limits;
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, HOME_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page(limits.introspection, limits.publishes_schema()))
}

/// The page's HTML (constant text: nothing from the request is echoed).
pub fn page(graphiql: bool, schema: bool) -> String {
    let mut links = String::from(
        "<li><code>POST /graphql</code>: the GraphQL endpoint (send <code>Authorization: Bearer \
         &lt;accessToken&gt;</code> from the <code>login</code> mutation)</li>\n",
    );
    if graphiql {
        links.push_str(
            "<li><a href=\"/graphiql\">GraphiQL</a>: explore and run queries in the browser; put \
             the token in its Headers tab as <code>{\"Authorization\": \"Bearer &lt;accessToken&gt;\"}</code></li>\n",
        );
    }
    if schema {
        links.push_str(
            "<li><a href=\"/schema.graphql\">/schema.graphql</a>: the schema (SDL), with a \
             description on every type and field</li>\n",
        );
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>PPAOS API {version}</title>\n</head>\n<body>\n\
         <h1>PPAOS API</h1>\n\
         <p>The GraphQL backend of the provincial poverty-alleviation operating system: find \
         and verify poor households, assess their five livelihood capitals, match them to \
         technologies and partner-agency services, refer, follow up, and measure who climbs \
         out of poverty.</p>\n\
         <p>Version <code>{version}</code></p>\n<ul>\n{links}</ul>\n</body>\n</html>\n",
        version = env!("CARGO_PKG_VERSION"),
    )
}
