//! The plans priced over the profiles the watch is built for: the choice,
//! and what it is expected to cost.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)] // small, known values

use super::*;

/// A situation: runs arriving `rate` a second for `history` seconds, the
/// ages (in seconds) of those still in flight and whether each was last
/// seen running, and the top pages that were read (runs, covering how
/// many seconds).
struct World {
    rate: f64,
    in_flight: Vec<(u64, bool)>,
    read: u64,
    filters: bool,
    departures: u64,
}

fn at(now: Timestamp, age: u64) -> Timestamp {
    now.minus_secs(age)
}

impl World {
    fn sight<R>(&self, then: impl FnOnce(&Sight<'_>) -> R) -> R {
        let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        let span = (self.read as f64 / self.rate) as u64;
        let reached = at(now, span);
        let in_flight: Vec<Timestamp> = self.in_flight.iter().map(|(a, _)| at(now, *a)).collect();
        let uncovered: Vec<Uncovered> = self
            .in_flight
            .iter()
            .filter(|(age, _)| *age > span)
            .map(|(age, running)| Uncovered {
                created_at: at(now, *age),
                running: *running,
            })
            .collect();
        let sight = Sight {
            horizon: now,
            read: self.read,
            reached,
            whole: false,
            uncovered: &uncovered,
            in_flight: &in_flight,
            running: self.in_flight.iter().filter(|(_, r)| *r).count() as u64,
            filters: self.filters,
            departures: self.departures,
        };
        then(&sight)
    }
}

/// `n` runs in flight, evenly aged from `from` to `to` seconds.
fn spread(n: u64, from: u64, to: u64, running: bool) -> Vec<(u64, bool)> {
    (0..n)
        .map(|i| (from + (to - from) * i / n.max(1), running))
        .collect()
}

fn priced(plan: Plan, cost: u64) -> Option<Priced> {
    Some(Priced { plan, cost })
}

#[test]
fn the_cheapest_way_is_taken_for_each_profile() {
    let rows: Vec<(&str, World, Option<Priced>)> = vec![
        // 2 runs a second, 30 s long: the top page shows all 60 in flight.
        (
            "busy, short",
            World {
                rate: 2.0,
                in_flight: spread(60, 0, 30, true),
                read: 100,
                filters: true,
                departures: 10,
            },
            None,
        ),
        // A long tail: 90% done in 10 s, 10% after 10 minutes. The running
        // listing (70 running: a page) and a retrieve for the one that left.
        (
            "long tail",
            World {
                rate: 1.0,
                in_flight: [spread(10, 0, 10, true), spread(60, 0, 600, true)].concat(),
                read: 100,
                filters: true,
                departures: 1,
            },
            priced(Plan::Running, 2),
        ),
        // 0.2 runs a second, an hour long: 720 in flight, one finishing a
        // poll, at the top of the terminal listing.
        (
            "long delay",
            World {
                rate: 0.2,
                in_flight: spread(720, 0, 3600, true),
                read: 100,
                filters: true,
                departures: 1,
            },
            priced(Plan::Terminal, 1),
        ),
        // 300 runs in a status the crate does not know: never a retrieve
        // each (that was 300 requests a poll).
        (
            "unknown statuses",
            World {
                rate: 1.0,
                in_flight: spread(300, 300, 600, false),
                read: 100,
                filters: true,
                departures: 0,
            },
            priced(Plan::Terminal, 3),
        ),
        // A few old runs in flight, deep in a busy list: the running
        // listing (a page), and a retrieve for the one that left...
        (
            "three old ones",
            World {
                rate: 5.0,
                in_flight: spread(3, 3_000, 3_600, true),
                read: 100,
                filters: true,
                departures: 1,
            },
            priced(Plan::Running, 2),
        ),
        // ...or, for a single one, a retrieve.
        (
            "one old one",
            World {
                rate: 5.0,
                in_flight: vec![(3_000, true)],
                read: 100,
                filters: true,
                departures: 1,
            },
            priced(Plan::Retrieve, 1),
        ),
        // The alpha's workflows have no status filter: on down the list,
        // or retrieves.
        (
            "long tail, no filter",
            World {
                rate: 1.0,
                in_flight: [spread(10, 0, 10, true), spread(60, 0, 600, true)].concat(),
                read: 100,
                filters: false,
                departures: 1,
            },
            priced(Plan::Top, 5),
        ),
    ];
    for (name, world, expected) in rows {
        let chosen = world.sight(|s| s.choose());
        assert_eq!(chosen, expected, "{name}");
    }
}

#[test]
fn each_plan_is_priced_from_what_the_watch_knows() {
    let world = World {
        rate: 1.0,
        in_flight: [spread(10, 0, 10, true), spread(60, 0, 600, true)].concat(),
        read: 100,
        filters: true,
        departures: 1,
    };
    world.sight(|s| {
        // 600 runs down to the oldest in flight, 100 read: 5 pages more.
        assert_eq!(s.price(Plan::Top), Some(5));
        // 600 created since, 70 in flight, 1 just finished: 531.
        assert_eq!(s.price(Plan::Terminal), Some(6));
        // 70 running: a page; one left: a retrieve.
        assert_eq!(s.price(Plan::Running), Some(2));
        // The 49 uncovered (older than the 100 s the top page spans).
        assert_eq!(s.price(Plan::Retrieve), Some(49));
    });
    // Nothing uncovered: no plan.
    let idle = World {
        rate: 1.0,
        in_flight: vec![(5, true)],
        read: 100,
        filters: true,
        departures: 0,
    };
    assert_eq!(idle.sight(|s| s.choose()), None);
    assert_eq!(idle.sight(|s| s.price(Plan::Top)), None);
    // No filter: the filtered plans cannot serve.
    let alpha = World {
        filters: false,
        ..world
    };
    alpha.sight(|s| {
        assert_eq!(s.price(Plan::Terminal), None);
        assert_eq!(s.price(Plan::Running), None);
    });
}

#[test]
fn the_depth_of_a_run_is_read_off_the_top_pages_density() {
    let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    let sight = Sight {
        horizon: now,
        read: 100,
        reached: at(now, 50),
        whole: false,
        uncovered: &[],
        in_flight: &[],
        running: 0,
        filters: true,
        departures: 0,
    };
    // 100 runs in 50 s: 2 a second.
    assert_eq!(sight.depth(at(now, 10)), 100, "within the pages read");
    assert_eq!(sight.depth(at(now, 100)), 200);
    assert_eq!(sight.depth(at(now, 3600)), 7_200);
    // The whole list was read: nothing deeper.
    let whole = Sight {
        whole: true,
        ..sight.clone()
    };
    assert_eq!(whole.depth(at(now, 3600)), 100);
    assert_eq!(whole.top_to(at(now, 3600)), 0);
    // Top pages of one instant: no division by zero.
    let dense = Sight {
        reached: now,
        ..sight
    };
    assert!(dense.depth(at(now, 1)) >= 100);
}

#[test]
fn the_depth_counts_the_runs_in_flight_between_a_time_and_the_top_pages_end() {
    let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    // Ages in seconds: three above the pages' end (10 s), one on it, ten
    // between it and the time asked (20 s, included), two below.
    let ages = [5, 5, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 25, 25];
    let in_flight: Vec<Timestamp> = ages.iter().map(|a| at(now, *a)).collect();
    let sight = Sight {
        horizon: now,
        read: 2,
        reached: at(now, 10),
        whole: false,
        uncovered: &[],
        in_flight: &in_flight,
        running: 0,
        filters: true,
        departures: 0,
    };
    // The density alone says 4 (2 runs in 10 s, over 20 s); the runs
    // known in flight in [20 s, 10 s) say 2 + 10.
    assert_eq!(sight.depth(at(now, 20)), 12);
    assert_eq!(
        sight.depth(at(now, 10)),
        2,
        "at the pages' end: what was read"
    );
}

#[test]
fn a_tie_goes_to_the_plan_first_in_the_list() {
    let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
    let uncovered = [Uncovered {
        created_at: at(now, 15),
        running: true,
    }];
    let in_flight = [at(now, 15)];
    let sight = Sight {
        horizon: now,
        read: 100,
        reached: at(now, 10),
        whole: false,
        uncovered: &uncovered,
        in_flight: &in_flight,
        running: 1,
        filters: false,
        departures: 0,
    };
    // One page further down, or one retrieve: the top pages go first.
    assert_eq!(sight.price(Plan::Top), Some(1));
    assert_eq!(sight.price(Plan::Retrieve), Some(1));
    assert_eq!(sight.choose(), priced(Plan::Top, 1));
}
