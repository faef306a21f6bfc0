//! Throttling of sign-in, second-factor and reset attempts, per scope and key, in PostgreSQL
//! (so every instance shares it). After `max_failures` failures within the window, the key is
//! locked for a time that doubles with each further failure, capped, so that nobody (an
//! attacker included) can lock an account for longer than the cap at a time; attempts made
//! during a lock are refused without being checked and do not extend it.

use std::net::IpAddr;

use sqlx::{PgExecutor, PgPool};

#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub scope: &'static str,
    pub max_failures: i32,
    pub window_secs: i64,
    pub base_lock_secs: i64,
    pub max_lock_secs: i64,
}

/// Password failures for one account from one address.
pub const PASSWORD_ACCOUNT: Policy = Policy {
    scope: "password_account",
    max_failures: 5,
    window_secs: 15 * 60,
    base_lock_secs: 60,
    max_lock_secs: 15 * 60,
};
/// Password failures for one account from anywhere (slow, distributed guessing).
pub const PASSWORD_ACCOUNT_GLOBAL: Policy = Policy {
    scope: "password_account_global",
    max_failures: 30,
    window_secs: 60 * 60,
    base_lock_secs: 5 * 60,
    max_lock_secs: 15 * 60,
};
/// Password failures from one address, across accounts.
pub const PASSWORD_ADDRESS: Policy = Policy {
    scope: "password_address",
    max_failures: 30,
    window_secs: 15 * 60,
    base_lock_secs: 5 * 60,
    max_lock_secs: 15 * 60,
};
/// Second-factor failures for one account.
pub const SECOND_FACTOR: Policy = Policy {
    scope: "second_factor",
    max_failures: 5,
    window_secs: 15 * 60,
    base_lock_secs: 60,
    max_lock_secs: 15 * 60,
};
/// Reset requests from one address.
pub const RESET_ADDRESS: Policy = Policy {
    scope: "reset_address",
    max_failures: 10,
    window_secs: 60 * 60,
    base_lock_secs: 15 * 60,
    max_lock_secs: 30 * 60,
};
/// Reset e-mails to one address (silently: the page never says whether it exists).
pub const RESET_EMAIL: Policy = Policy {
    scope: "reset_email",
    max_failures: 3,
    window_secs: 60 * 60,
    base_lock_secs: 30 * 60,
    max_lock_secs: 60 * 60,
};

/// Seconds left on a lock, if the key is locked now.
pub async fn locked(
    db: impl PgExecutor<'_>,
    policy: Policy,
    key: &str,
) -> sqlx::Result<Option<i64>> {
    let secs = sqlx::query_scalar!(
        "SELECT ceil(extract(epoch FROM locked_until - now()))::bigint FROM auth_throttle
         WHERE scope = $1 AND key = $2 AND locked_until > now()",
        policy.scope,
        key,
    )
    .fetch_optional(db)
    .await?;
    Ok(secs.flatten())
}

/// Counts a failure, and locks the key when it has failed too often; returns the seconds of
/// that lock, if any.
pub async fn fail(db: &PgPool, policy: Policy, key: &str) -> sqlx::Result<Option<i64>> {
    let lock = sqlx::query_scalar!(
        "INSERT INTO auth_throttle AS t (scope, key, failures, window_start)
         VALUES ($1, $2, 1, now())
         ON CONFLICT (scope, key) DO UPDATE SET
             failures = CASE WHEN t.window_start < now() - make_interval(secs => $3)
                             THEN 1 ELSE t.failures + 1 END,
             window_start = CASE WHEN t.window_start < now() - make_interval(secs => $3)
                                 THEN now() ELSE t.window_start END
         RETURNING CASE WHEN failures >= $4
                        THEN least($5 * power(2, failures - $4), $6)::bigint END",
        policy.scope,
        key,
        policy.window_secs as f64,
        policy.max_failures,
        policy.base_lock_secs as f64,
        policy.max_lock_secs as f64,
    )
    .fetch_one(db)
    .await?;
    let Some(secs) = lock.filter(|s| *s > 0) else {
        return Ok(None);
    };
    sqlx::query!(
        "UPDATE auth_throttle SET locked_until = now() + make_interval(secs => $3)
         WHERE scope = $1 AND key = $2",
        policy.scope,
        key,
        secs as f64,
    )
    .execute(db)
    .await?;
    Ok(Some(secs))
}

/// Forgets the failures of a key (after a success).
pub async fn clear(db: impl PgExecutor<'_>, policy: Policy, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM auth_throttle WHERE scope = $1 AND key = $2",
        policy.scope,
        key,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The keys a password attempt counts against: the address, the account from this address,
/// and the account from anywhere.
pub struct PasswordKeys {
    address: String,
    account: String,
    anywhere: String,
}

impl PasswordKeys {
    pub fn new(email: &str, ip: IpAddr) -> Self {
        let email = email.to_lowercase();
        Self {
            address: ip.to_string(),
            account: format!("{email}|{ip}"),
            anywhere: email,
        }
    }

    fn each(&self) -> [(Policy, &str); 3] {
        [
            (PASSWORD_ADDRESS, self.address.as_str()),
            (PASSWORD_ACCOUNT, self.account.as_str()),
            (PASSWORD_ACCOUNT_GLOBAL, self.anywhere.as_str()),
        ]
    }

    /// Seconds left on a lock of any of the keys.
    pub async fn locked(&self, db: &PgPool) -> sqlx::Result<Option<i64>> {
        for (policy, key) in self.each() {
            if let Some(secs) = locked(db, policy, key).await? {
                return Ok(Some(secs));
            }
        }
        Ok(None)
    }

    /// Counts a failure against every key; the longest lock it starts, if any.
    pub async fn fail(&self, db: &PgPool) -> sqlx::Result<Option<i64>> {
        let mut longest = None;
        for (policy, key) in self.each() {
            if let Some(secs) = fail(db, policy, key).await? {
                longest = Some(longest.map_or(secs, |s: i64| s.max(secs)));
            }
        }
        Ok(longest)
    }

    /// After the right password: this address's failures on the account are forgotten.
    pub async fn signed_in(&self, db: &PgPool) -> sqlx::Result<()> {
        clear(db, PASSWORD_ACCOUNT, &self.account).await
    }

    /// After a password reset: the account's failures are forgotten, from here and anywhere.
    pub async fn reset(&self, db: &PgPool) -> sqlx::Result<()> {
        clear(db, PASSWORD_ACCOUNT_GLOBAL, &self.anywhere).await?;
        clear(db, PASSWORD_ACCOUNT, &self.account).await
    }
}

/// Whole minutes to tell the user, never zero.
pub fn minutes(secs: i64) -> i64 {
    ((secs + 59) / 60).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn minutes_round_up() {
        assert_eq!(super::minutes(1), 1);
        assert_eq!(super::minutes(60), 1);
        assert_eq!(super::minutes(61), 2);
        assert_eq!(super::minutes(0), 1);
    }
}
