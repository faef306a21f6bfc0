//! Statuses, roles and kinds stored as text: one macro declares the Rust enum with each
//! variant's database code (and, for what pages show, its translation key), and maps it to
//! PostgreSQL. A value the enum does not know is a decoding error, never a default.
//!
//! ```ignore
//! text_enum! {
//!     /// Where an order stands.
//!     pub enum OrderStatus {
//!         Submitted = "submitted" => "order_status.submitted",
//!         Completed = "completed" => "order_status.completed",
//!     }
//! }
//! ```
//! gives `OrderStatus::ALL`, `code()`, `from_code()`, `key()` (the translation key, a literal
//! in the source so the missing-key test sees it), `Display` (the code) and sqlx's `Type`,
//! `Encode` and `Decode` for text columns. In `query!`, read a column as
//! `status AS "status: OrderStatus"` and bind `status.code()`.

/// Declares a text-mapped enum; see the module's documentation.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal => $key:literal),+ $(,)?
        }
    ) => {
        $crate::text_enum! {
            $(#[$meta])*
            $vis enum $name { $($(#[$vmeta])* $variant = $code),+ }
        }

        impl $name {
            /// The translation key of this value's label.
            #[allow(dead_code)]
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored in the database (and used in forms and URLs).
            #[allow(dead_code)]
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The value of a stored (or submitted) code, exactly as written.
            #[allow(dead_code)]
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $name::from_code(&code).ok_or_else(|| {
                    <D::Error as ::serde::de::Error>::custom(format!(
                        "unknown {} {code:?}",
                        stringify!($name)
                    ))
                })
            }
        }

        impl ::sqlx::Type<::sqlx::Postgres> for $name {
            fn type_info() -> ::sqlx::postgres::PgTypeInfo {
                <&str as ::sqlx::Type<::sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &::sqlx::postgres::PgTypeInfo) -> bool {
                <&str as ::sqlx::Type<::sqlx::Postgres>>::compatible(ty)
            }
        }

        impl ::sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> ::sqlx::postgres::PgTypeInfo {
                <&str as ::sqlx::postgres::PgHasArrayType>::array_type_info()
            }

            fn array_compatible(ty: &::sqlx::postgres::PgTypeInfo) -> bool {
                <&str as ::sqlx::postgres::PgHasArrayType>::array_compatible(ty)
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut ::sqlx::postgres::PgArgumentBuffer,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<'q, ::sqlx::Postgres>>::encode_by_ref(&self.code(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Postgres> for $name {
            fn decode(
                value: ::sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, ::sqlx::error::BoxDynError> {
                let code = <&str as ::sqlx::Decode<'r, ::sqlx::Postgres>>::decode(value)?;
                $name::from_code(code).ok_or_else(|| {
                    format!("unknown {} {code:?} in the database", stringify!($name)).into()
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use sqlx::{Postgres, Type};

    crate::text_enum! {
        /// A sample.
        enum Colour {
            Red = "red" => "colour.red",
            DarkBlue = "dark_blue" => "colour.dark_blue",
        }
    }

    #[test]
    fn codes_and_keys_round_trip() {
        for c in Colour::ALL {
            assert_eq!(Colour::from_code(c.code()), Some(*c));
        }
        assert_eq!(Colour::DarkBlue.code(), "dark_blue");
        assert_eq!(Colour::DarkBlue.key(), "colour.dark_blue");
        assert_eq!(Colour::from_code("Red"), None);
        assert_eq!(Colour::Red.to_string(), "red");
        // Text columns of any flavour (text, varchar, char) are accepted.
        assert!(<Colour as Type<Postgres>>::compatible(&<&str as Type<
            Postgres,
        >>::type_info(
        )));
    }

    #[test]
    fn serde_refuses_unknown_codes() {
        let c: Colour = serde_json::from_str("\"dark_blue\"").unwrap();
        assert_eq!(c, Colour::DarkBlue);
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
    }
}
