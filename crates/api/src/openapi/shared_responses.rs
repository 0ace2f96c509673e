//! The answers every operation can give whatever it does, documented once
//! as `components/responses` and referenced from each operation by what it
//! is: every operation can get an unreadable request (400), too many
//! requests (429) or a server error (500); one with a body also a body too
//! large (413), of the wrong type (415) or of the wrong shape (422); one
//! behind a token no token (401) and one admitting only some roles the
//! wrong role (403). The annotations document only what is their own, so
//! the shared answers cannot be forgotten on a new endpoint.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, ResponsesBuilder,
};

use crate::error::Problem;

/// (status, component name, description), in the order of the statuses.
const SHARED: [(&str, &str, &str); 8] = [
    (
        "400",
        "BadRequest",
        "The request cannot be read: malformed JSON, or a path or query value of the wrong type or format (`bad_request`, `malformed_json`)",
    ),
    (
        "401",
        "Unauthorized",
        "Not signed in: no token, or an expired or revoked one (`unauthorized`)",
    ),
    (
        "403",
        "Forbidden",
        "Signed in, but the role is not admitted here: see `x-roles` (`forbidden`)",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is over the size limit (`payload_too_large`)",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not of the documented content type (`unsupported_media_type`)",
    ),
    (
        "422",
        "ValidationFailed",
        "The body has the wrong shape or invalid fields: `errors` names each field (`validation_failed`)",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many requests: wait as long as `Retry-After` says (`too_many_requests`)",
    ),
    (
        "500",
        "InternalError",
        "Something failed on the server; the answer carries no detail (`internal_error`)",
    ),
];

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(
                    <Problem as utoipa::ToSchema>::name(),
                )))
                .build(),
        )
        .build()
}

/// Adds the shared responses to the components and to every operation that
/// can give them and does not document its own.
pub(super) fn add(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    let responses = SHARED
        .iter()
        .fold(
            ResponsesBuilder::new(),
            |builder, (_, name, description)| {
                builder.response(*name, problem_response(description))
            },
        )
        .build();
    components.responses.extend(responses.responses);

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
            for (status, name, _) in SHARED {
                if applies(operation, status) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// Whether an operation can give `status` at all.
fn applies(operation: &Operation, status: &str) -> bool {
    let has_body = operation.request_body.is_some();
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let has_roles = operation
        .extensions
        .as_ref()
        .is_some_and(|extensions| extensions.contains_key("x-roles"));
    match status {
        "401" => secured,
        "403" => has_roles,
        "413" | "415" | "422" => has_body,
        _ => true,
    }
}
