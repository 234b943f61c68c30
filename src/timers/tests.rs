//! Deadlines against an injected wall clock and tokio's paused clock: suspend (the wall clock jumps,
//! the monotonic one does not) and clock steps either way.

use std::sync::{Arc, Mutex};

use super::*;

/// A wall clock the test steps by hand.
#[derive(Clone)]
struct Wall(Arc<Mutex<DateTime<Utc>>>);

impl Wall {
    fn new() -> Wall {
        Wall(Arc::new(Mutex::new(
            "2026-11-30T01:00:00Z".parse().unwrap(),
        )))
    }
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    /// The wall clock moves and tokio's does not: a suspend, or a clock step.
    fn step(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
    fn timers(&self) -> Timers<&'static str> {
        let w = self.clone();
        Timers::with_wall_clock(Arc::new(move || w.now()))
    }
}

/// Both clocks move together, as while the machine is awake.
async fn pass(wall: &Wall, d: Duration) {
    wall.step(TimeDelta::from_std(d).unwrap());
    tokio::time::advance(d).await;
}

async fn fired_within(
    t: &mut Timers<&'static str>,
    wall: &Wall,
    d: Duration,
) -> Option<&'static str> {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited <= d {
        tokio::select! {
            biased;
            k = t.next_expired() => return k,
            _ = pass(wall, step) => waited += step,
        }
    }
    None
}

#[tokio::test(start_paused = true)]
async fn a_deadline_fires_at_its_wall_clock_instant() {
    let wall = Wall::new();
    let mut t = wall.timers();
    t.arm("a", wall.now() + TimeDelta::seconds(3));
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_secs(2)).await,
        None
    );
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_secs(2)).await,
        Some("a")
    );
    assert!(t.is_empty());
}

#[tokio::test(start_paused = true)]
async fn after_a_suspend_what_is_overdue_fires_within_a_second_once() {
    let wall = Wall::new();
    let mut t = wall.timers();
    // Due at 03:00; the laptop sleeps from 01:00 to 02:30, awake, then 02:30 → 03:30 asleep.
    t.arm("resume", wall.now() + TimeDelta::hours(2));
    t.arm("later", wall.now() + TimeDelta::hours(5));
    pass(&wall, Duration::from_secs(1)).await;
    wall.step(TimeDelta::minutes(90));
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_secs(2)).await,
        None
    );
    wall.step(TimeDelta::hours(1));
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_millis(1100)).await,
        Some("resume"),
        "noticed within about a second of waking"
    );
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_secs(3)).await,
        None,
        "fired once; the later deadline still waits"
    );
    assert_eq!(t.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_clock_stepped_forward_fires_what_it_passed() {
    let wall = Wall::new();
    let mut t = wall.timers();
    t.arm("a", wall.now() + TimeDelta::minutes(30));
    wall.step(TimeDelta::hours(1));
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_millis(1100)).await,
        Some("a")
    );
}

#[tokio::test(start_paused = true)]
async fn a_clock_stepped_back_does_not_fire_early() {
    let wall = Wall::new();
    let mut t = wall.timers();
    t.arm("a", wall.now() + TimeDelta::seconds(10));
    wall.step(TimeDelta::seconds(-60));
    // The wheel's 10 s pass, but on the wall clock 60 s remain from the step.
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_secs(30)).await,
        None
    );
    assert_eq!(
        fired_within(&mut t, &wall, Duration::from_secs(45)).await,
        Some("a")
    );
}

#[tokio::test(start_paused = true)]
async fn no_deadline_no_wake_up() {
    let wall = Wall::new();
    let mut t = wall.timers();
    t.arm("a", wall.now() + TimeDelta::seconds(1));
    t.disarm(&"a");
    let r = tokio::time::timeout(Duration::from_secs(3600), t.next_expired()).await;
    assert!(r.is_err(), "nothing armed: pending");
}
