use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Reads polls and raw responses, exports CSV; changes nothing.
    Analyst,
}

impl Role {
    /// # Errors
    /// Not `admin` or `analyst`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "admin" => Ok(Role::Admin),
            "analyst" => Ok(Role::Analyst),
            other => Err(format!("role must be admin or analyst, not '{other}'")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
        }
    }
}
