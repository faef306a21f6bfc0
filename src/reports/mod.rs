//! The reseller's dashboard (`/`) and reports. The home page welcomes the user until the
//! dashboard lands; staff go to their console.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

use crate::app::AppState;
use crate::identity::CurrentUser;
use crate::web::PageCtx;
use crate::web::page;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    welcome: String,
}

async fn home(ctx: PageCtx, user: CurrentUser) -> Response {
    if user.is_staff() {
        return page::see_other("/staff");
    }
    let welcome = ctx.t_with("home.welcome", &[("name", &user.name)]);
    page::ok(&HomePage { ctx, welcome })
}
