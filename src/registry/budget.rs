//! One host's announced request budget as a pure state machine: which request may start,
//! and what an answer (or the lack of one) does to the count. No clock, no locks, no I/O:
//! [`ratelimit`](super::ratelimit) wraps it with waiting and the stop/wait policy.
//!
//! The guarantee: a request starts only if `remaining − in_flight > 0`, where `remaining`
//! is the lowest count the host has announced in its current window and `in_flight`
//! counts every request started and not yet answered. Each request in flight is assumed
//! to spend one, so however the answers interleave, the requests sent never exceed the
//! announced budget. Until the host's first answer nothing is known, so the first
//! request goes alone; when `remaining` is at or below the slow-down threshold, requests
//! go one at a time; at zero none starts.

use std::time::Duration;

/// What a response announced: `RateLimit-Remaining`, `RateLimit-Limit` and when the
/// window resets (counted from the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Announcement {
    /// Requests left.
    pub remaining: u64,
    /// The window's whole budget, if announced.
    pub limit: Option<u64>,
    /// Time until the budget is whole again.
    pub resets_in: Duration,
}

/// What the host has told us so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Known {
    /// No answer yet: the host may have a budget of one.
    #[default]
    Nothing,
    /// The host answered without budget headers.
    Unlimited,
    /// The lowest count announced in the current window; `resets_at` is on the caller's
    /// clock (whatever `T` it passes in).
    Budget {
        remaining: u64,
        limit: Option<u64>,
        resets_at: Duration,
    },
}

/// Whether a request may start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Start it; hand the ticket back with its answer.
    Go(Ticket),
    /// Wait for an answer in flight to come back.
    Wait,
    /// The budget is known to be spent: no request may start before `resets_at`.
    Spent {
        /// The window's whole budget, if announced.
        limit: Option<u64>,
        /// When the budget is whole again, on the caller's clock.
        resets_at: Duration,
    },
}

/// One admitted request, for matching its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    number: u64,
    /// No other request was in flight when this one started.
    alone: bool,
}

/// One host's budget and the requests it has in flight.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostBudget {
    known: Known,
    in_flight: u64,
    /// Requests admitted so far (the last ticket number).
    admitted: u64,
}

impl HostBudget {
    /// Decides whether a request may start; `slow_at` is the count at or below which
    /// requests go one at a time. A `Go` counts the request as in flight.
    pub fn admit(&mut self, slow_at: u64) -> Admission {
        let may_go = match self.known {
            Known::Nothing => self.in_flight == 0,
            Known::Unlimited => true,
            Known::Budget {
                remaining,
                limit,
                resets_at,
            } => {
                if remaining == 0 {
                    return Admission::Spent { limit, resets_at };
                }
                remaining > self.in_flight && (remaining > slow_at || self.in_flight == 0)
            }
        };
        if !may_go {
            return Admission::Wait;
        }
        let alone = self.in_flight == 0;
        self.in_flight += 1;
        self.admitted += 1;
        Admission::Go(Ticket {
            number: self.admitted,
            alone,
        })
    }

    /// Takes an answer at time `now`: `ticket` is the request's own (None for an answer
    /// this host gave to a request admitted elsewhere, e.g. a redirect hop), `said` what
    /// its headers announced.
    ///
    /// A count replaces the known one only when it cannot be stale: the request was the
    /// only one in flight for its whole life, or the window has reset. Otherwise the
    /// lower of the two is kept, since answers may arrive out of the order the host
    /// counted them in.
    pub fn answer(&mut self, ticket: Option<Ticket>, said: Option<Announcement>, now: Duration) {
        if ticket.is_some() {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        let sole = match ticket {
            Some(t) => t.alone && t.number == self.admitted,
            None => self.in_flight == 0,
        };
        let Some(said) = said else {
            if ticket.is_some() && self.known == Known::Nothing {
                self.known = Known::Unlimited;
            }
            return;
        };
        // A late answer saying more is left than known keeps the known count and its
        // window: it is older news, and its reset time would move the window.
        let (remaining, resets_at) = match self.known {
            Known::Budget {
                remaining,
                resets_at,
                ..
            } if !sole && now < resets_at && remaining < said.remaining => (remaining, resets_at),
            _ => (said.remaining, now + said.resets_in),
        };
        self.known = Known::Budget {
            remaining,
            limit: said.limit,
            resets_at,
        };
    }

    /// A request that got no answer (connection failed, timed out, cancelled). The host
    /// may have counted it, so one is taken off what is known to be left.
    pub fn unanswered(&mut self, _ticket: Ticket) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Known::Budget { remaining, .. } = &mut self.known {
            *remaining = remaining.saturating_sub(1);
        }
    }

    /// After waiting until `resets_at` for a spent budget: how much the window gave back
    /// is unknown until the next answer, so one request may go (alone, so its answer's
    /// count is taken as it is).
    pub fn window_reset(&mut self, resets_at: Duration) {
        if let Known::Budget {
            remaining: remaining @ 0,
            resets_at: at,
            ..
        } = &mut self.known
        {
            if *at == resets_at {
                *remaining = 1;
            }
        }
    }

    /// Whether the budget is known to be spent.
    pub fn is_spent(&self) -> bool {
        matches!(self.known, Known::Budget { remaining: 0, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOW_AT: u64 = 20;
    const T0: Duration = Duration::from_secs(100);

    fn said(remaining: u64) -> Option<Announcement> {
        Some(Announcement {
            remaining,
            limit: Some(60),
            resets_in: Duration::from_secs(21600),
        })
    }

    fn go(b: &mut HostBudget) -> Ticket {
        match b.admit(SLOW_AT) {
            Admission::Go(t) => t,
            other => panic!("expected Go, got {other:?}"),
        }
    }

    /// A budget that knows `remaining` and has nothing in flight.
    fn known(remaining: u64) -> HostBudget {
        let mut b = HostBudget::default();
        let t = go(&mut b);
        b.answer(Some(t), said(remaining), T0);
        b
    }

    #[test]
    fn the_first_request_goes_alone_until_the_host_answers() {
        let mut b = HostBudget::default();
        let first = go(&mut b);
        assert_eq!(b.admit(SLOW_AT), Admission::Wait);
        b.answer(Some(first), None, T0);
        // No budget headers: no limit.
        for _ in 0..100 {
            go(&mut b);
        }
    }

    #[test]
    fn in_flight_requests_are_counted_against_what_is_left() {
        let mut b = known(25);
        // 25 left (above the threshold): up to 25 may be in flight at once, no more.
        let tickets: Vec<Ticket> = (0..25).map(|_| go(&mut b)).collect();
        assert_eq!(b.admit(SLOW_AT), Admission::Wait, "25 in flight of 25 left");
        // An answer that says 24 (the host counted only the first) leaves 24 − 24 = 0.
        b.answer(Some(tickets[0]), said(24), T0);
        assert_eq!(b.admit(SLOW_AT), Admission::Wait);
    }

    #[test]
    fn never_more_requests_than_the_budget_however_answers_interleave() {
        // A host that spends one per request and answers in reverse order, 16 at a time.
        let budget = 60u64;
        let mut b = HostBudget::default();
        let (mut sent, mut served) = (0u64, 0u64);
        loop {
            let mut batch = Vec::new();
            while batch.len() < 16 {
                match b.admit(SLOW_AT) {
                    Admission::Go(t) => {
                        sent += 1;
                        served += 1;
                        batch.push((t, budget.saturating_sub(served)));
                    }
                    Admission::Wait => break,
                    Admission::Spent { .. } => {
                        assert!(batch.is_empty());
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            for (t, left) in batch.into_iter().rev() {
                b.answer(Some(t), said(left), T0);
            }
        }
        assert_eq!(sent, budget, "spends the whole budget, no more");
        assert!(b.is_spent());
    }

    #[test]
    fn at_or_below_the_threshold_requests_go_one_at_a_time() {
        let mut b = known(SLOW_AT);
        let t = go(&mut b);
        assert_eq!(b.admit(SLOW_AT), Admission::Wait);
        b.answer(Some(t), said(SLOW_AT - 1), T0);
        go(&mut b);
        let mut above = known(SLOW_AT + 2);
        go(&mut above);
        go(&mut above);
        assert_eq!(
            above.admit(SLOW_AT),
            Admission::Go(Ticket {
                number: 4,
                alone: false
            })
        );
    }

    #[test]
    fn a_late_answer_with_more_left_keeps_the_known_window() {
        let mut b = known(40);
        let early = go(&mut b);
        let late = go(&mut b);
        let spent = Announcement {
            remaining: 0,
            limit: Some(60),
            resets_in: Duration::from_secs(3),
        };
        b.answer(Some(early), Some(spent), T0);
        let before = b.admit(SLOW_AT);
        let stale = Announcement {
            remaining: 39,
            limit: Some(60),
            resets_in: Duration::from_secs(1),
        };
        b.answer(Some(late), Some(stale), T0 + Duration::from_secs(1));
        assert_eq!(b.admit(SLOW_AT), before, "same count, same reset time");
        assert_eq!(
            before,
            Admission::Spent {
                limit: Some(60),
                resets_at: T0 + Duration::from_secs(3)
            }
        );
    }

    #[test]
    fn at_zero_nothing_starts_even_with_answers_in_flight() {
        let mut b = known(3);
        let t = go(&mut b);
        b.answer(Some(t), said(0), T0);
        assert_eq!(
            b.admit(SLOW_AT),
            Admission::Spent {
                limit: Some(60),
                resets_at: T0 + Duration::from_secs(21600)
            }
        );
        assert!(b.is_spent());
    }

    #[test]
    fn a_stale_higher_count_is_ignored_unless_the_request_was_alone() {
        let mut b = known(30);
        let (a, c) = (go(&mut b), go(&mut b));
        b.answer(Some(c), said(28), T0);
        b.answer(Some(a), said(29), T0); // counted first, answered last
        assert!(matches!(b.known, Known::Budget { remaining: 28, .. }));
        // Alone, its count is the truth, even if higher (another client's window moved).
        let solo = go(&mut b);
        b.answer(Some(solo), said(40), T0);
        assert!(matches!(b.known, Known::Budget { remaining: 40, .. }));
        // After the window's reset, any answer's count is taken.
        let (x, _y) = (go(&mut b), go(&mut b));
        b.answer(Some(x), said(60), T0 + Duration::from_secs(21601));
        assert!(matches!(b.known, Known::Budget { remaining: 60, .. }));
    }

    #[test]
    fn an_unanswered_request_may_have_been_counted() {
        let mut b = known(2);
        let t = go(&mut b);
        b.unanswered(t);
        let t = go(&mut b);
        b.unanswered(t);
        assert!(b.is_spent());
    }

    #[test]
    fn after_the_reset_one_request_goes_alone() {
        let mut b = known(1);
        let t = go(&mut b);
        b.answer(Some(t), said(0), T0);
        let Admission::Spent { resets_at, .. } = b.admit(SLOW_AT) else {
            panic!("spent")
        };
        b.window_reset(resets_at - Duration::from_secs(1));
        assert!(b.is_spent(), "a reset of another window changes nothing");
        b.window_reset(resets_at);
        let t = go(&mut b);
        assert_eq!(b.admit(SLOW_AT), Admission::Wait);
        b.answer(Some(t), said(59), resets_at);
        go(&mut b);
        go(&mut b);
    }
}
