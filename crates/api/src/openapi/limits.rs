//! Every constraint the server enforces on a field, shown in the schema, so
//! a request the document allows is one the server accepts. Each limit is a
//! constant of the crate that checks it; this table only says which field
//! of which schema it applies to (utoipa's attributes take literals only,
//! so the limits cannot be written on the fields themselves).

use utoipa::openapi::path::Parameter;
use utoipa::openapi::schema::{Object, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// What the server checks of a field.
enum Limit {
    /// A string's length (characters) from `min` to `max`.
    Length { min: Option<usize>, max: usize },
    /// A number from `min` to `max`, and what the server takes when it is
    /// left out (when it takes anything).
    Range {
        min: i64,
        max: i64,
        default: Option<i64>,
    },
}

const fn at_most(max: usize) -> Limit {
    Limit::Length { min: None, max }
}

fn range<T: Copy + Into<i64>>(range: &std::ops::RangeInclusive<T>) -> Limit {
    Limit::Range {
        min: (*range.start()).into(),
        max: (*range.end()).into(),
        default: None,
    }
}

fn range_or<T: Copy + Into<i64>>(range: &std::ops::RangeInclusive<T>, default: T) -> Limit {
    Limit::Range {
        min: (*range.start()).into(),
        max: (*range.end()).into(),
        default: Some(default.into()),
    }
}

fn field_limits() -> Vec<(&'static str, &'static str, Limit)> {
    use monitoring::bounds;
    let password = || Limit::Length {
        min: Some(identity::password::MIN_LENGTH),
        max: identity::password::MAX_LENGTH,
    };
    let mut limits = vec![
        ("RegisterRequest", "password", password()),
        ("AcceptInvitationRequest", "password", password()),
        ("ResetPasswordRequest", "new_password", password()),
        ("ChangePasswordRequest", "new_password", password()),
        (
            "RegisterRequest",
            "name",
            at_most(identity::staff::NAME_MAX_CHARS),
        ),
        (
            "InviteStaffRequest",
            "name",
            at_most(identity::staff::NAME_MAX_CHARS),
        ),
        (
            "AcceptInvitationRequest",
            "name",
            at_most(identity::staff::NAME_MAX_CHARS),
        ),
        (
            "CreateApiTokenRequest",
            "name",
            at_most(identity::api_token::NAME_MAX_CHARS),
        ),
        (
            "NewStaffChat",
            "label",
            at_most(notify::telegram_chat::LABEL_MAX_CHARS),
        ),
        (
            "NewBroadcast",
            "body",
            at_most(notify::broadcast::BODY_MAX_CHARS),
        ),
        (
            "NewBroadcast",
            "subject",
            at_most(notify::broadcast::SUBJECT_MAX_CHARS),
        ),
        (
            "NewBroadcast",
            "photo_url",
            at_most(notify::broadcast::PHOTO_URL_MAX_LEN),
        ),
        (
            "TemplateText",
            "subject",
            at_most(notify::template::SUBJECT_MAX_CHARS),
        ),
        (
            "TemplateText",
            "body",
            at_most(notify::template::BODY_MAX_CHARS),
        ),
        (
            "HostInput",
            "name",
            at_most(monitoring::host::NAME_MAX_CHARS),
        ),
        (
            "HostInput",
            "notes",
            at_most(monitoring::host::NOTES_MAX_CHARS),
        ),
        ("HostInput", "port", range(&bounds::PORT)),
        (
            "HostInput",
            "check_interval_seconds",
            range_or(
                &bounds::CHECK_INTERVAL_SECONDS,
                bounds::DEFAULT_CHECK_INTERVAL_SECONDS,
            ),
        ),
        (
            "HostInput",
            "failures_before_down",
            range_or(
                &bounds::FAILURES_BEFORE_DOWN,
                bounds::DEFAULT_FAILURES_BEFORE_DOWN,
            ),
        ),
        (
            "HostInput",
            "renotify_minutes",
            range(&bounds::RENOTIFY_MINUTES),
        ),
        ("SaleInput", "name", at_most(bounds::SALE_NAME_MAX_CHARS)),
        (
            "SaleInput",
            "merchant",
            at_most(bounds::SALE_MERCHANT_MAX_CHARS),
        ),
        (
            "SaleInput",
            "item_type",
            at_most(bounds::SALE_ITEM_TYPE_MAX_CHARS),
        ),
        (
            "NewMaintenanceWindow",
            "reason",
            at_most(bounds::MAINTENANCE_REASON_MAX_CHARS),
        ),
    ];
    limits.extend(catalog_limits());
    limits.extend(content_limits());
    limits
}

fn catalog_limits() -> Vec<(&'static str, &'static str, Limit)> {
    use billing::catalog::bounds as catalog;
    let mut limits = Vec::new();
    for schema in ["ListingInput", "CategoryInput"] {
        limits.push((schema, "slug", at_most(catalog::SLUG_MAX_CHARS)));
        limits.push((schema, "name_id", at_most(catalog::NAME_MAX_CHARS)));
        limits.push((schema, "name_en", at_most(catalog::NAME_MAX_CHARS)));
        limits.push((schema, "sort_order", range(&catalog::SORT_ORDER)));
    }
    for field in ["summary_id", "summary_en"] {
        limits.push(("ListingInput", field, at_most(catalog::SUMMARY_MAX_CHARS)));
    }
    for field in ["description_id", "description_en"] {
        limits.push((
            "ListingInput",
            field,
            at_most(catalog::DESCRIPTION_MAX_CHARS),
        ));
        limits.push(("CategoryInput", field, at_most(catalog::SUMMARY_MAX_CHARS)));
    }
    for (field, bound) in [
        ("cores", &catalog::CORES),
        ("ram_mb", &catalog::RAM_MB),
        ("disk_gb", &catalog::DISK_GB),
        ("rate_limit_mbps", &catalog::RATE_LIMIT_MBPS),
        ("disk_mb", &catalog::HOSTING_DISK_MB),
        ("bandwidth_gb", &catalog::BANDWIDTH_GB),
        ("addon_domains", &catalog::ADDON_DOMAINS),
        ("quota_mb", &catalog::QUOTA_MB),
        ("validity_days", &catalog::VALIDITY_DAYS),
        ("download_mbps", &catalog::SPEED_MBPS),
        ("upload_mbps", &catalog::SPEED_MBPS),
    ] {
        limits.push(("SpecInput", field, range(bound)));
    }
    for field in ["terms_id", "terms_en"] {
        limits.push(("SpecInput", field, at_most(catalog::TERMS_MAX_CHARS)));
    }
    for field in ["whm_package", "provider_sku", "pppoe_profile"] {
        limits.push(("SpecInput", field, at_most(catalog::PROFILE_MAX_CHARS)));
    }
    for field in [
        "price_minor",
        "setup_fee_minor",
        "renew_minor",
        "transfer_minor",
    ] {
        limits.push(("PriceInput", field, range(&catalog::PRICE_MINOR)));
    }
    for schema in ["RegionInput", "OsTemplateInput"] {
        limits.push((schema, "name", at_most(catalog::LIST_NAME_MAX_CHARS)));
        limits.push((schema, "sort_order", range(&catalog::SORT_ORDER)));
    }
    limits.push(("RegionInput", "code", at_most(catalog::CODE_MAX_CHARS)));
    limits.push((
        "OsTemplateInput",
        "code",
        at_most(catalog::TEMPLATE_CODE_MAX_CHARS),
    ));
    limits.push((
        "CustomerGroupInput",
        "code",
        at_most(catalog::CODE_MAX_CHARS),
    ));
    limits.push((
        "CustomerGroupInput",
        "name",
        at_most(catalog::LIST_NAME_MAX_CHARS),
    ));
    limits
}

/// The storefront content editor's fields (`billing::content::bounds`).
fn content_limits() -> Vec<(&'static str, &'static str, Limit)> {
    use billing::content::bounds;
    let mut limits = Vec::new();
    for schema in ["BannerInput", "PageInput", "AnnouncementInput"] {
        for field in ["title_id", "title_en"] {
            limits.push((schema, field, at_most(bounds::TITLE_MAX_CHARS)));
        }
    }
    for schema in ["PageInput", "AnnouncementInput"] {
        for field in ["body_id", "body_en"] {
            limits.push((schema, field, at_most(bounds::BODY_MAX_CHARS)));
        }
    }
    for field in ["image_url", "link_url"] {
        limits.push(("BannerInput", field, at_most(bounds::URL_MAX_CHARS)));
    }
    for schema in ["BannerInput", "TestimonialInput"] {
        limits.push((schema, "sort_order", range_or(&bounds::SORT_ORDER, 0)));
    }
    limits.extend([
        (
            "TestimonialInput",
            "author_name",
            at_most(bounds::AUTHOR_NAME_MAX_CHARS),
        ),
        (
            "TestimonialInput",
            "author_role_id",
            at_most(bounds::AUTHOR_ROLE_MAX_CHARS),
        ),
        (
            "TestimonialInput",
            "author_role_en",
            at_most(bounds::AUTHOR_ROLE_MAX_CHARS),
        ),
        (
            "TestimonialInput",
            "quote_id",
            at_most(bounds::QUOTE_MAX_CHARS),
        ),
        (
            "TestimonialInput",
            "quote_en",
            at_most(bounds::QUOTE_MAX_CHARS),
        ),
        ("TestimonialInput", "rating", range(&bounds::RATING)),
        (
            "PageInput",
            "slug",
            Limit::Length {
                min: Some(1),
                max: bounds::SLUG_MAX_CHARS,
            },
        ),
        (
            "PreviewRequest",
            "markdown",
            at_most(bounds::BODY_MAX_CHARS),
        ),
    ]);
    limits
}

/// The `cursor` of a paged list is the id the previous page ended at (see
/// `routes::parse_cursor`): digits only, and few enough to fit an i64.
pub const CURSOR_PATTERN: &str = "^[0-9]{0,18}$";

pub(super) fn add(document: &mut OpenApi) {
    if let Some(components) = document.components.as_mut() {
        for (schema, field, limit) in field_limits() {
            let Some(object) = components.schemas.get_mut(schema).and_then(as_object) else {
                panic!("the OpenAPI document has no schema {schema} for its limits");
            };
            let Some(property) = object.properties.get_mut(field).and_then(as_object) else {
                panic!("schema {schema} has no field {field} for its limit");
            };
            match limit {
                Limit::Length { min, max } => {
                    property.min_length = min;
                    property.max_length = Some(max);
                }
                Limit::Range { min, max, default } => {
                    property.minimum = Some(min.into());
                    property.maximum = Some(max.into());
                    if let Some(default) = default {
                        property.default = Some(default.into());
                    }
                }
            }
        }
    }
    for item in document.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter {
                    constrain_parameter(parameter);
                }
            }
        }
    }
}

fn constrain_parameter(parameter: &mut Parameter) {
    let Some(object) = parameter.schema.as_mut().and_then(as_object) else {
        return;
    };
    match parameter.name.as_str() {
        "cursor" => object.pattern = Some(CURSOR_PATTERN.to_owned()),
        "limit" => {
            object.minimum = Some(1.into());
            // A list with a smaller maximum of its own says so on its parameter.
            object
                .maximum
                .get_or_insert_with(|| domain::PAGE_SIZE_MAX.into());
        }
        _ => {}
    }
}

fn as_object(schema: &mut RefOr<Schema>) -> Option<&mut Object> {
    match schema {
        RefOr::T(Schema::Object(object)) => Some(object),
        _ => None,
    }
}
