//! Throttling of sign-in, second-factor and reset attempts, per scope and key, in PostgreSQL
//! (so every instance shares it). After `max_failures` failures within the window, the key is
//! locked for a time that doubles with each further failure, capped, so that nobody (an
//! attacker included) can lock an account for longer than the cap at a time; attempts made
//! during a lock are refused without being checked and do not extend it. Attempts are counted
//! before they are checked (`attempt`), so a burst of parallel requests checks no more than the
//! limit allows.

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
/// Password failures for one account from every client that never signed in to it (slow,
/// distributed guessing): a browser holding the account's device cookie is not counted here,
/// so strangers cannot lock the owner out.
pub const PASSWORD_ACCOUNT_STRANGERS: Policy = Policy {
    scope: "password_account_strangers",
    max_failures: 10,
    window_secs: 60 * 60,
    base_lock_secs: 5 * 60,
    max_lock_secs: 15 * 60,
};
/// Password failures for one account from one of its known devices (`auth::device`).
pub const PASSWORD_DEVICE: Policy = Policy {
    scope: "password_device",
    max_failures: 5,
    window_secs: 15 * 60,
    base_lock_secs: 60,
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

/// An attempt that may be checked: how many attempts the key has had in its window, this one
/// included, and the lock it has started in advance, should it fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub failures: i32,
    pub lock_secs: Option<i64>,
}

/// Counts an attempt *before* it is checked, in one statement: `Err(seconds left)` when the key
/// is locked (the attempt is neither checked nor counted). The attempt that reaches the limit
/// starts the lock at once, so that parallel attempts cannot all pass a check made before any of
/// them failed; a success lifts it again ([`succeeded`] or [`clear`]).
pub async fn attempt(
    db: impl PgExecutor<'_>,
    policy: Policy,
    key: &str,
) -> sqlx::Result<Result<Attempt, i64>> {
    // The UPDATE's WHERE sees the latest row (concurrent attempts queue on it); the outer
    // SELECT sees the row as the statement began, which tells how long a lock has left.
    let row = sqlx::query!(
        r#"WITH counted AS (
               INSERT INTO auth_throttle AS t (scope, key, failures, window_start, locked_until)
               VALUES ($1, $2, 1, now(), CASE WHEN $4 <= 1 THEN now() + make_interval(secs => $5) END)
               ON CONFLICT (scope, key) DO UPDATE SET
                   failures = CASE WHEN t.window_start < now() - make_interval(secs => $3)
                                   THEN 1 ELSE t.failures + 1 END,
                   window_start = CASE WHEN t.window_start < now() - make_interval(secs => $3)
                                       THEN now() ELSE t.window_start END,
                   locked_until = CASE
                       WHEN t.window_start >= now() - make_interval(secs => $3)
                            AND t.failures + 1 >= $4
                       THEN now() + make_interval(secs =>
                                least($5 * power(2, t.failures + 1 - $4), $6)) END
               WHERE t.locked_until IS NULL OR t.locked_until <= now()
               RETURNING failures, locked_until
           )
           SELECT (SELECT failures FROM counted) AS failures,
                  (SELECT ceil(extract(epoch FROM locked_until - now()))::bigint FROM counted)
                      AS lock_secs,
                  (SELECT ceil(extract(epoch FROM locked_until - now()))::bigint
                   FROM auth_throttle WHERE scope = $1 AND key = $2 AND locked_until > now())
                      AS locked_secs"#,
        policy.scope,
        key,
        policy.window_secs as f64,
        policy.max_failures,
        policy.base_lock_secs as f64,
        policy.max_lock_secs as f64,
    )
    .fetch_one(db)
    .await?;
    Ok(match row.failures {
        Some(failures) => Ok(Attempt {
            failures,
            lock_secs: row.lock_secs.filter(|s| *s > 0),
        }),
        // Locked by an attempt that committed after this statement began: its lock is at
        // least the base one.
        None => Err(row.locked_secs.unwrap_or(policy.base_lock_secs)),
    })
}

/// An attempt that passed without clearing the key's count (an address's or an account's
/// limit across addresses): it is not a failure, so it comes off the count, and the lock it
/// started in advance is lifted.
pub async fn succeeded(db: impl PgExecutor<'_>, policy: Policy, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth_throttle SET failures = greatest(failures - 1, 0), locked_until = NULL
         WHERE scope = $1 AND key = $2",
        policy.scope,
        key,
    )
    .execute(db)
    .await?;
    Ok(())
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

/// The keys a password attempt counts against: the address, and the account either from this
/// known device (a browser that signed in to it before) or, for everyone else, from this
/// address and from all strangers together.
pub struct PasswordKeys {
    address: String,
    /// The account from this device, or from this address.
    account: (Policy, String),
    /// The account from all strangers (none for a known device).
    strangers: Option<String>,
}

impl PasswordKeys {
    /// The keys of an attempt on `email` from `ip`, by the device `device` (its key, when the
    /// browser holds the account's device cookie).
    pub fn new(email: &str, ip: IpAddr, device: Option<&str>) -> Self {
        let email = email.to_lowercase();
        match device {
            Some(device) => Self {
                address: ip.to_string(),
                account: (PASSWORD_DEVICE, format!("{email}|{device}")),
                strangers: None,
            },
            None => Self {
                address: ip.to_string(),
                account: (PASSWORD_ACCOUNT, format!("{email}|{ip}")),
                strangers: Some(email),
            },
        }
    }

    fn each(&self) -> Vec<(Policy, &str)> {
        let mut keys = vec![
            (PASSWORD_ADDRESS, self.address.as_str()),
            (self.account.0, self.account.1.as_str()),
        ];
        if let Some(email) = &self.strangers {
            keys.push((PASSWORD_ACCOUNT_STRANGERS, email.as_str()));
        }
        keys
    }

    /// Counts a password attempt against every key before the password is checked:
    /// `Err(seconds)` when one of them is locked (then the attempt counts against none), else
    /// the longest lock it has started in advance, for if it fails.
    pub async fn attempt(&self, db: &PgPool) -> sqlx::Result<Result<Option<i64>, i64>> {
        let mut counted = Vec::new();
        let mut longest: Option<i64> = None;
        for (policy, key) in self.each() {
            match attempt(db, policy, key).await? {
                Ok(a) => {
                    counted.push((policy, key));
                    longest = longest.max(a.lock_secs);
                }
                Err(secs) => {
                    for (policy, key) in counted {
                        succeeded(db, policy, key).await?;
                    }
                    return Ok(Err(secs));
                }
            }
        }
        Ok(Ok(longest))
    }

    /// After the right password: the account's failures from this device or address are
    /// forgotten, and the attempt comes off the other counts.
    pub async fn signed_in(&self, db: &PgPool) -> sqlx::Result<()> {
        clear(db, self.account.0, &self.account.1).await?;
        succeeded(db, PASSWORD_ADDRESS, &self.address).await?;
        if let Some(email) = &self.strangers {
            succeeded(db, PASSWORD_ACCOUNT_STRANGERS, email).await?;
        }
        Ok(())
    }

    /// After a password reset: the account's failures are forgotten, from here and from
    /// strangers.
    pub async fn reset(&self, db: &PgPool) -> sqlx::Result<()> {
        if let Some(email) = &self.strangers {
            clear(db, PASSWORD_ACCOUNT_STRANGERS, email).await?;
        }
        clear(db, self.account.0, &self.account.1).await
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
