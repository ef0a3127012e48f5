//! A JSON body extractor whose rejections are `AppError`s, so malformed bodies get the same error
//! shape as everything else: 400 for unreadable JSON, 422 naming the field for a wrong shape. A
//! body is a JSON object: serde would also read a struct from an array of its fields in order
//! (`[null, null]`), which no client means.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::{Deserialize, DeserializeOwned, Deserializer, Visitor};

use crate::error::AppError;

pub(crate) struct AppJson<T>(pub T);

/// `T` read from a JSON object only (see the module docs).
struct FromObject<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for FromObject<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(ObjectOnly(deserializer)).map(FromObject)
    }
}

/// A deserializer that reads a struct from a map only (its fields below are read as usual).
struct ObjectOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<FromObject<T>>::from_request(request, state).await {
            Ok(axum::Json(FromObject(value))) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(e)) => {
                // serde names the path of the offending field first: "field: message at line…".
                let text = e.body_text();
                let detail = text.split_once(": ").map_or(text.as_str(), |(_, rest)| rest).to_owned();
                let field = detail.split(':').next().filter(|f| !f.contains(' ')).unwrap_or("body").to_owned();
                Err(AppError::invalid_field(field, detail))
            }
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::PayloadTooLarge(format!("the request body is too large ({})", rejection.body_text())))
            }
            Err(rejection) => Err(AppError::BadRequest(rejection.body_text())),
        }
    }
}
