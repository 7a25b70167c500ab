//! Users, boards and Pins: creation, change, deletion and paged listing.

use time::{Duration, OffsetDateTime};

use super::{Page, Store, StoreError, page_of};
use crate::config::{BoardSpec, PinSpec, PinsSpec, UserSpec};
use crate::model::{Board, Pin, Privacy, User};

/// Generated Pins: at most this many per board spec.
pub const MAX_GENERATED_PINS: u32 = 100_000;

const COLORS: [&str; 8] = [
    "#E60023", "#6E7874", "#2B59C3", "#F2A541", "#3C896D", "#8E5572", "#1D3557", "#E76F51",
];

/// Fields of a new Pin once validated.
#[derive(Debug, Clone, Default)]
pub struct NewPin {
    pub title: Option<String>,
    pub description: Option<String>,
    pub link: Option<String>,
    pub alt_text: Option<String>,
    pub dominant_color: Option<String>,
}

impl From<PinSpec> for NewPin {
    fn from(spec: PinSpec) -> Self {
        NewPin {
            title: spec.title,
            description: spec.description,
            link: spec.link,
            alt_text: spec.alt_text,
            dominant_color: spec.dominant_color,
        }
    }
}

/// A change to a Pin once validated; `None` leaves a field alone, `Some(None)`
/// clears it, and `board_id` moves the Pin to another board of its owner.
#[derive(Debug, Clone, Default)]
pub struct PinPatch {
    pub title: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub link: Option<Option<String>>,
    pub alt_text: Option<Option<String>>,
    pub board_id: Option<u64>,
}

/// A change to a board; `None` leaves a field alone, `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct BoardPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub privacy: Option<Privacy>,
}

fn valid_username(name: &str) -> bool {
    (3..=30).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Store {
    /// Creates a user with its boards and Pins; Pins get creation times spread
    /// over the past minutes so newest-first order matches `created_at`.
    pub fn create_user(&mut self, spec: UserSpec, now: OffsetDateTime) -> Result<u64, StoreError> {
        if !valid_username(&spec.username) {
            return Err(StoreError::Invalid(format!(
                "username {:?} must be 3 to 30 letters, digits or underscores",
                spec.username
            )));
        }
        if self.usernames.contains_key(&spec.username) {
            return Err(StoreError::Conflict(format!(
                "user {:?} already exists",
                spec.username
            )));
        }
        for board in &spec.boards {
            Self::check_board_spec(board)?;
        }
        let id = self.next_user_id;
        self.next_user_id += 1;
        let user = User {
            id,
            username: spec.username.clone(),
            account_type: spec.account_type,
            business_name: spec.business_name,
            about: spec.about.unwrap_or_default(),
            website_url: spec.website_url.unwrap_or_default(),
            follower_count: spec.follower_count,
            following_count: spec.following_count,
            monthly_views: spec.monthly_views,
        };
        self.usernames.insert(spec.username, id);
        self.users.insert(id, user);
        self.add_boards(id, spec.boards, now)?;
        Ok(id)
    }

    fn check_board_spec(spec: &BoardSpec) -> Result<(), StoreError> {
        if spec.name.trim().is_empty() {
            return Err(StoreError::Invalid("board name must not be empty".into()));
        }
        if let PinsSpec::Count(n) = spec.pins
            && n > MAX_GENERATED_PINS
        {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_GENERATED_PINS} generated Pins per board"
            )));
        }
        Ok(())
    }

    /// Adds boards (with their Pins) to an existing user; returns the new board ids.
    pub fn add_boards(
        &mut self,
        owner: u64,
        specs: Vec<BoardSpec>,
        now: OffsetDateTime,
    ) -> Result<Vec<u64>, StoreError> {
        if !self.users.contains_key(&owner) {
            return Err(StoreError::NotFound("user not found".into()));
        }
        for spec in &specs {
            Self::check_board_spec(spec)?;
        }
        let total_pins: i64 = specs
            .iter()
            .map(|s| match &s.pins {
                PinsSpec::Count(n) => i64::from(*n),
                PinsSpec::List(list) => list.len() as i64,
            })
            .sum();
        // Oldest first: the last Pin created is "now".
        let mut clock = now - Duration::minutes(total_pins + specs.len() as i64);
        let mut ids = Vec::with_capacity(specs.len());
        for spec in specs {
            let board_id = self.create_board(
                owner,
                spec.name.clone(),
                spec.description,
                spec.privacy,
                clock,
            );
            clock += Duration::minutes(1);
            let pins: Vec<NewPin> = match spec.pins {
                PinsSpec::Count(n) => (1..=n).map(|i| generated_pin(&spec.name, i)).collect(),
                PinsSpec::List(list) => list.into_iter().map(NewPin::from).collect(),
            };
            for pin in pins {
                self.create_pin(owner, board_id, pin, clock);
                clock += Duration::minutes(1);
            }
            ids.push(board_id);
        }
        Ok(ids)
    }

    pub fn create_board(
        &mut self,
        owner: u64,
        name: String,
        description: Option<String>,
        privacy: Privacy,
        now: OffsetDateTime,
    ) -> u64 {
        let id = self.next_board_id;
        self.next_board_id += 1;
        self.boards.insert(
            id,
            Board {
                id,
                owner,
                name,
                description,
                privacy,
                created_at: now,
                pins_modified_at: now,
            },
        );
        self.boards_by_user.entry(owner).or_default().insert(id);
        id
    }

    pub fn update_board(&mut self, id: u64, patch: BoardPatch) -> Option<&Board> {
        let board = self.boards.get_mut(&id)?;
        if let Some(name) = patch.name {
            board.name = name;
        }
        if let Some(description) = patch.description {
            board.description = description;
        }
        if let Some(privacy) = patch.privacy {
            board.privacy = privacy;
        }
        Some(board)
    }

    /// Deletes a board and every Pin on it.
    pub fn delete_board(&mut self, id: u64) -> bool {
        let Some(board) = self.boards.remove(&id) else {
            return false;
        };
        if let Some(set) = self.boards_by_user.get_mut(&board.owner) {
            set.remove(&id);
        }
        for pin in self.pins_by_board.remove(&id).unwrap_or_default() {
            self.pins.remove(&pin);
            if let Some(set) = self.pins_by_user.get_mut(&board.owner) {
                set.remove(&pin);
            }
        }
        true
    }

    pub fn create_pin(
        &mut self,
        owner: u64,
        board_id: u64,
        new: NewPin,
        now: OffsetDateTime,
    ) -> u64 {
        let id = self.next_pin_id;
        self.next_pin_id += 1;
        let dominant_color = new
            .dominant_color
            .or_else(|| Some(COLORS[(id % COLORS.len() as u64) as usize].to_owned()));
        self.pins.insert(
            id,
            Pin {
                id,
                owner,
                board_id,
                title: new.title,
                description: new.description,
                link: new.link,
                alt_text: new.alt_text,
                dominant_color,
                created_at: now,
            },
        );
        self.pins_by_user.entry(owner).or_default().insert(id);
        self.pins_by_board.entry(board_id).or_default().insert(id);
        if let Some(board) = self.boards.get_mut(&board_id) {
            board.pins_modified_at = now;
        }
        id
    }

    pub fn delete_pin(&mut self, id: u64, now: OffsetDateTime) -> bool {
        let Some(pin) = self.pins.remove(&id) else {
            return false;
        };
        if let Some(set) = self.pins_by_user.get_mut(&pin.owner) {
            set.remove(&id);
        }
        if let Some(set) = self.pins_by_board.get_mut(&pin.board_id) {
            set.remove(&id);
        }
        if let Some(board) = self.boards.get_mut(&pin.board_id) {
            board.pins_modified_at = now;
        }
        true
    }

    /// Changes a Pin; a move takes it off its board and onto `patch.board_id`
    /// (which the caller has checked belongs to the Pin's owner). Unless the
    /// patch is empty, `board_pins_modified_at` of the board(s) involved becomes
    /// `now`. A Pin keeps its id, so on the new board it sits by creation time,
    /// not by when it moved (ids are what keyset paging runs on).
    pub fn update_pin(&mut self, id: u64, patch: PinPatch, now: OffsetDateTime) -> Option<&Pin> {
        let pin = self.pins.get_mut(&id)?;
        let touched = patch.title.is_some()
            || patch.description.is_some()
            || patch.link.is_some()
            || patch.alt_text.is_some()
            || patch.board_id.is_some();
        if !touched {
            return self.pins.get(&id);
        }
        if let Some(title) = patch.title {
            pin.title = title;
        }
        if let Some(description) = patch.description {
            pin.description = description;
        }
        if let Some(link) = patch.link {
            pin.link = link;
        }
        if let Some(alt_text) = patch.alt_text {
            pin.alt_text = alt_text;
        }
        let from = pin.board_id;
        let to = patch.board_id.unwrap_or(from);
        pin.board_id = to;
        if to != from {
            if let Some(set) = self.pins_by_board.get_mut(&from) {
                set.remove(&id);
            }
            self.pins_by_board.entry(to).or_default().insert(id);
        }
        for board in [from, to] {
            if let Some(board) = self.boards.get_mut(&board) {
                board.pins_modified_at = now;
            }
        }
        self.pins.get(&id)
    }

    /// A user's boards, newest first, that pass `keep`.
    pub fn boards_page(
        &self,
        owner: u64,
        below: Option<u64>,
        limit: usize,
        keep: impl Fn(&Board) -> bool,
    ) -> Page<&Board> {
        page_of(self.boards_by_user.get(&owner), below, limit, |id| {
            self.boards.get(&id).filter(|b| keep(b))
        })
    }

    /// A user's Pins (or one board's), newest first, that pass `keep`.
    pub fn pins_page(
        &self,
        owner: u64,
        board: Option<u64>,
        below: Option<u64>,
        limit: usize,
        keep: impl Fn(&Pin) -> bool,
    ) -> Page<&Pin> {
        let ids = match board {
            Some(board) => self.pins_by_board.get(&board),
            None => self.pins_by_user.get(&owner),
        };
        page_of(ids, below, limit, |id| {
            self.pins.get(&id).filter(|p| keep(p))
        })
    }
}

fn generated_pin(board_name: &str, n: u32) -> NewPin {
    NewPin {
        title: Some(format!("{board_name} #{n}")),
        description: Some(format!("Pin {n} on the simulated board “{board_name}”.")),
        link: Some(format!("https://example.com/pinterest-sim/{n}")),
        alt_text: Some(format!("Placeholder image {n}")),
        dominant_color: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenLifetimes;

    fn store_with_pins(n: u32) -> (Store, u64) {
        let mut store = Store::new(TokenLifetimes::default());
        let user = store
            .create_user(
                UserSpec {
                    username: "pager".into(),
                    boards: vec![BoardSpec {
                        name: "All".into(),
                        pins: PinsSpec::Count(n),
                        ..BoardSpec::default()
                    }],
                    ..UserSpec::default()
                },
                OffsetDateTime::now_utc(),
            )
            .unwrap();
        (store, user)
    }

    #[test]
    fn keyset_pages_see_each_pin_once_despite_inserts() {
        let (mut store, user) = store_with_pins(10);
        let board = *store.boards_by_user[&user].iter().next().unwrap();
        let mut seen = Vec::new();
        let mut below = None;
        loop {
            let page = store.pins_page(user, None, below, 3, |_| true);
            seen.extend(page.items.iter().map(|p| p.id));
            let Some(next) = page.continue_below else {
                break;
            };
            below = Some(next);
            store.create_pin(user, board, NewPin::default(), OffsetDateTime::now_utc());
        }
        assert_eq!(seen.len(), 10);
        let mut sorted = seen.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted, "newest first, no repeats");
    }

    #[test]
    fn moving_a_pin_changes_both_boards() {
        let mut store = Store::new(TokenLifetimes::default());
        let now = OffsetDateTime::now_utc();
        let user = store
            .create_user(
                UserSpec {
                    username: "mover".into(),
                    boards: vec![
                        BoardSpec {
                            name: "From".into(),
                            pins: PinsSpec::Count(3),
                            ..BoardSpec::default()
                        },
                        BoardSpec {
                            name: "To".into(),
                            pins: PinsSpec::Count(1),
                            ..BoardSpec::default()
                        },
                    ],
                    ..UserSpec::default()
                },
                now - Duration::hours(1),
            )
            .unwrap();
        let boards: Vec<u64> = store.boards_by_user[&user].iter().copied().collect();
        let (from, to) = (boards[0], boards[1]);
        let pin = store.pins_page(user, Some(from), None, 1, |_| true).items[0].id;
        let patch = PinPatch {
            title: Some(Some("Moved".into())),
            description: Some(None),
            board_id: Some(to),
            ..PinPatch::default()
        };
        let moved = store.update_pin(pin, patch, now).unwrap();
        assert_eq!(
            (
                moved.board_id,
                moved.title.as_deref(),
                moved.description.as_deref()
            ),
            (to, Some("Moved"), None)
        );
        assert!(moved.link.is_some(), "untouched fields stay");
        assert_eq!(
            (store.pin_count_of_board(from), store.pin_count_of_board(to)),
            (2, 2)
        );
        assert_eq!(store.pin_count_of_user(user), 4);
        for board in [from, to] {
            assert_eq!(store.board(board).unwrap().pins_modified_at, now);
        }
        assert!(store.update_pin(1, PinPatch::default(), now).is_none());
    }

    #[test]
    fn deleting_a_board_deletes_its_pins() {
        let (mut store, user) = store_with_pins(4);
        let board = *store.boards_by_user[&user].iter().next().unwrap();
        assert_eq!(store.pin_count_of_user(user), 4);
        assert!(store.delete_board(board));
        assert_eq!(store.pin_count_of_user(user), 0);
        assert_eq!(store.board_count(user), 0);
    }

    #[test]
    fn usernames_are_checked() {
        let mut store = Store::new(TokenLifetimes::default());
        let spec = |name: &str| UserSpec {
            username: name.into(),
            ..UserSpec::default()
        };
        assert!(
            store
                .create_user(spec("a b"), OffsetDateTime::now_utc())
                .is_err()
        );
        assert!(
            store
                .create_user(spec("ok_name"), OffsetDateTime::now_utc())
                .is_ok()
        );
        assert!(matches!(
            store.create_user(spec("ok_name"), OffsetDateTime::now_utc()),
            Err(StoreError::Conflict(_))
        ));
    }
}
