//! The machinery behind the error responses: a response component per error
//! status (`error_responses!`), and families of them that operations list as
//! one (`families!`). What each status means is written where they are
//! declared, in `openapi.rs`.

use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, Object, Ref, RefOr, Response, ResponseBuilder, Type,
};

pub fn error_response(description: &str, headers: &[(&str, Type, &str)]) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content("application/json", content);
    for (name, ty, text) in headers {
        let header = HeaderBuilder::new()
            .schema(Some(Object::with_type(ty.clone())))
            .description(Some(*text))
            .build();
        response = response.header(*name, header);
    }
    response.build().into()
}

/// One response component per error status, named after the type. Each is
/// also listable in an operation's `responses(…)` on its own (it knows its
/// status), and [`families`] groups the ones most operations share.
macro_rules! error_responses {
    ($( $name:ident $status:literal => $description:literal $(, header $header:literal: $ty:ident = $text:literal)? ;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'r> utoipa::ToResponse<'r> for $name {
                fn response() -> (&'r str, utoipa::openapi::RefOr<utoipa::openapi::Response>) {
                    use utoipa::openapi::Type;
                    let headers: &[(&str, Type, &str)] = &[$( ($header, Type::$ty, $text) )?];
                    (
                        stringify!($name),
                        $crate::http::api::openapi::responses::error_response($description, headers),
                    )
                }
            }

            impl utoipa::IntoResponses for $name {
                fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
                    std::collections::BTreeMap::from([(
                        $status.to_string(),
                        utoipa::openapi::RefOr::Ref(utoipa::openapi::Ref::from_response_name(stringify!($name))),
                    )])
                }
            }
        )*
    };
}

/// Declares a family of error responses that operations list as one.
macro_rules! families {
    ($( $(#[$doc:meta])* $family:ident = [$($member:ident),+]; )*) => {$(
        $(#[$doc])*
        pub struct $family;

        impl utoipa::IntoResponses for $family {
            fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
                let mut all = std::collections::BTreeMap::new();
                $( all.extend(<$member as utoipa::IntoResponses>::responses()); )+
                all
            }
        }
    )*};
}
pub(crate) use {error_responses, families};
