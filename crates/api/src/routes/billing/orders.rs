//! The client's orders: quote, checkout, list, cancel, and the delivered
//! digital item.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use billing::checkout::{self, CheckoutOutcome, CheckoutRequest, Customer, Quote};
use billing::order::query::{self, OrderDetail, OrderFilter};
use billing::order::{Order, cancel};
use identity::Role;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{Buyers, PageQuery, buyer_snapshot};
use crate::auth::Auth;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(quote_order)
        .service(place_order)
        .service(list_orders)
        .service(get_order)
        .service(cancel_order)
        .service(reveal_item);
}

async fn customer(state: &AppState, auth: &Auth<Buyers>) -> Result<Customer, ApiError> {
    let account = state.identity.account(auth.principal.user_id).await?;
    Ok(customer_of(auth, &account))
}

fn customer_of(auth: &Auth<Buyers>, account: &identity::account::Account) -> Customer {
    Customer {
        user: auth.principal.user_id,
        reseller_role: auth.principal.roles.contains(&Role::Reseller),
        snapshot: buyer_snapshot(account),
    }
}

/// Price an order as checkout would (product, cycle, promo, PPN) without placing it.
#[utoipa::path(
    tag = "orders",
    operation_id = "quoteOrder",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    request_body = CheckoutRequest,
    responses(
        (status = 200, description = "What checkout would charge", body = Quote),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`promo_exhausted` or `promo_limit_reached`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/orders/quote")]
async fn quote_order(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    body: web::Json<CheckoutRequest>,
) -> Result<web::Json<Quote>, ApiError> {
    let customer = customer(&state, &auth).await?;
    Ok(web::Json(
        checkout::quote(&state.pool, &customer, &body, state.clock.now()).await?,
    ))
}

/// Place an order: checks onboarding, stock, price and promo on the server and
/// creates the order (PENDING_PAYMENT) with its invoice in one transaction. With
/// `pay_with_wallet` the invoice is paid from the balance at once. An
/// `Idempotency-Key` header makes a retry answer the same order (200).
#[utoipa::path(
    tag = "orders",
    operation_id = "placeOrder",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 200 characters; a retry with the same key and body answers the first order")),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "Placed", body = CheckoutOutcome),
        (status = 200, description = "The order this Idempotency-Key placed before", body = CheckoutOutcome),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`onboarding_incomplete`, `out_of_stock`, `promo_exhausted`, `promo_limit_reached`, `insufficient_funds` or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/orders")]
async fn place_order(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<CheckoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let account = state
        .identity
        .checkout_ready_account(auth.principal.user_id)
        .await?;
    let key = match request.headers().get("Idempotency-Key") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| {
                    ApiError::BadRequest("Idempotency-Key is not visible ASCII".to_owned())
                })?
                .to_owned(),
        ),
    };
    let customer = customer_of(&auth, &account);
    let outcome = checkout::checkout(
        &state.pool,
        &customer,
        &body,
        key.as_deref(),
        state.clock.now(),
        &state.clock.calendar(),
    )
    .await?;
    Ok(if outcome.replayed {
        HttpResponse::Ok().json(outcome)
    } else {
        HttpResponse::Created().json(outcome)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderPage {
    pub items: Vec<Order>,
    pub total: i64,
    pub page: i64,
    pub limit: i64,
}

/// The caller's orders, newest first.
#[utoipa::path(
    tag = "orders",
    operation_id = "listMyOrders",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(PageQuery),
    responses((status = 200, description = "One page of orders", body = OrderPage))
)]
#[get("/api/v1/orders")]
async fn list_orders(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<OrderPage>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let filter = OrderFilter {
        user: Some(auth.principal.user_id),
        status: None,
        page: page.page(),
        limit: page.limit(),
    };
    let (items, total) = query::list(&mut conn, &filter).await?;
    Ok(web::Json(OrderPage {
        items,
        total,
        page: filter.page,
        limit: filter.limit,
    }))
}

/// One of the caller's orders with every status change.
#[utoipa::path(
    tag = "orders",
    operation_id = "getMyOrder",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/orders/{id}")]
async fn get_order(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<OrderDetail>, ApiError> {
    let mut conn = state.pool.acquire().await?;
    Ok(web::Json(
        query::find_for(&mut conn, *id, auth.principal.user_id).await?,
    ))
}

/// Cancel an unpaid order: its stock and promo use are released.
#[utoipa::path(
    tag = "orders",
    operation_id = "cancelMyOrder",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "Cancelled", body = OrderDetail),
        (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`order_not_cancellable`: it is paid already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/orders/{id}/cancel")]
async fn cancel_order(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<OrderDetail>, ApiError> {
    Ok(web::Json(
        cancel::cancel_by_client(&state.pool, *id, auth.principal.user_id).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveredItem {
    /// The code or account credentials, shown this once.
    pub item: String,
}

/// Show the delivered digital item, once (it was also emailed).
#[utoipa::path(
    tag = "orders",
    operation_id = "revealOrderItem",
    security(("bearer" = [])),
    extensions(("x-roles" = json!(["client", "reseller", "owner"]))),
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The item", body = DeliveredItem),
        (status = 404, description = "No such order of yours, or nothing delivered", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`item_already_shown`: it is in the delivery email", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/orders/{id}/item")]
async fn reveal_item(
    auth: Auth<Buyers>,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let item = query::reveal_item(&mut conn, &state.sealer, *id, auth.principal.user_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(DeliveredItem { item }))
}
