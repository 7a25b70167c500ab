//! The tools: names, titles, descriptions, hints, the scopes each needs, and
//! the JSON Schemas of their arguments and results. Everything an agent reads
//! before calling one; nothing here talks to Pinterest.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

use super::input::*;
use super::output::*;

/// One tool. The order is the order `tools/list` shows them in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    ListConnections,
    GetUserAccount,
    ListBoards,
    GetBoard,
    CreateBoard,
    UpdateBoard,
    DeleteBoard,
    ListBoardPins,
    GetPin,
    CreatePin,
    UpdatePin,
    DeletePin,
    SearchPins,
}

/// What a client may assume about a tool (MCP's annotations are hints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

const READ: Hints = Hints {
    read_only: true,
    destructive: false,
    idempotent: true,
};
const CREATE: Hints = Hints {
    read_only: false,
    destructive: false,
    idempotent: false,
};
const UPDATE: Hints = Hints {
    read_only: false,
    destructive: true,
    idempotent: true,
};
const DELETE: Hints = Hints {
    read_only: false,
    destructive: true,
    idempotent: true,
};

/// How to say which account a tool acts for; appended to every description
/// but `list_connections`'.
const TARGET_NOTE: &str = " Acts for one end user's Pinterest account: pass `connection_id` (from list_connections) or `end_user_id` (your product's id for the person), not both; a key bound to one end user needs neither.";

impl Tool {
    pub const ALL: [Tool; 13] = [
        Tool::ListConnections,
        Tool::GetUserAccount,
        Tool::ListBoards,
        Tool::GetBoard,
        Tool::CreateBoard,
        Tool::UpdateBoard,
        Tool::DeleteBoard,
        Tool::ListBoardPins,
        Tool::GetPin,
        Tool::CreatePin,
        Tool::UpdatePin,
        Tool::DeletePin,
        Tool::SearchPins,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::ListConnections => "list_connections",
            Tool::GetUserAccount => "get_user_account",
            Tool::ListBoards => "list_boards",
            Tool::GetBoard => "get_board",
            Tool::CreateBoard => "create_board",
            Tool::UpdateBoard => "update_board",
            Tool::DeleteBoard => "delete_board",
            Tool::ListBoardPins => "list_board_pins",
            Tool::GetPin => "get_pin",
            Tool::CreatePin => "create_pin",
            Tool::UpdatePin => "update_pin",
            Tool::DeletePin => "delete_pin",
            Tool::SearchPins => "search_pins",
        }
    }

    pub fn parse(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn title(self) -> &'static str {
        match self {
            Tool::ListConnections => "List Pinterest connections",
            Tool::GetUserAccount => "Get the Pinterest account",
            Tool::ListBoards => "List boards",
            Tool::GetBoard => "Get a board",
            Tool::CreateBoard => "Create a board",
            Tool::UpdateBoard => "Update a board",
            Tool::DeleteBoard => "Delete a board",
            Tool::ListBoardPins => "List a board's pins",
            Tool::GetPin => "Get a pin",
            Tool::CreatePin => "Create a pin from an image URL",
            Tool::UpdatePin => "Update a pin",
            Tool::DeletePin => "Delete a pin",
            Tool::SearchPins => "Search the account's pins",
        }
    }

    /// What it does, for an agent, without the note on choosing the account.
    fn summary(self) -> &'static str {
        match self {
            Tool::ListConnections => {
                "Lists the Pinterest accounts (connections) this key may act for, with their end user id, Pinterest username, state and granted scopes. A connection whose state is not `active` or `degraded` cannot be used until its end user reconnects. Start here when you do not know a connection_id."
            }
            Tool::GetUserAccount => {
                "Gets the connected Pinterest account: username, account type, profile, website, and board, pin and follower counts."
            }
            Tool::ListBoards => {
                "Lists the account's boards, newest first, one page at a time. Pass `bookmark` from the previous page to get the next; no bookmark in the result means the last page."
            }
            Tool::GetBoard => "Gets one board of the account by its id.",
            Tool::CreateBoard => {
                "Creates a board. `privacy` is PUBLIC (default), PROTECTED or SECRET. Answers the new board with its id."
            }
            Tool::UpdateBoard => {
                "Changes a board's name, description or privacy (PUBLIC or SECRET). Fields left out stay as they are. Answers the board as it is now."
            }
            Tool::DeleteBoard => {
                "Deletes a board and every pin on it. This cannot be undone: ask the person first."
            }
            Tool::ListBoardPins => {
                "Lists the pins on one board, one page at a time. Pass `bookmark` from the previous page to get the next."
            }
            Tool::GetPin => {
                "Gets one pin by its id: title, description, link, alt text, board and image URL."
            }
            Tool::CreatePin => {
                "Creates a pin on one of the account's boards from a public image URL (http or https), with an optional title, description, destination link and alt text. Answers the new pin with its id."
            }
            Tool::UpdatePin => {
                "Changes a pin's title, description, link or alt text, or moves it to another of the account's boards (`board_id`). Fields left out stay as they are."
            }
            Tool::DeletePin => "Deletes a pin. This cannot be undone: ask the person first.",
            Tool::SearchPins => {
                "Searches the account's own pins for words in their title, description or alt text, one page at a time. Pass `bookmark` from the previous page to get the next."
            }
        }
    }

    pub fn description(self) -> String {
        match self {
            Tool::ListConnections => self.summary().to_owned(),
            _ => format!("{}{TARGET_NOTE}", self.summary()),
        }
    }

    /// Its description for an assistant signed in as one end user: the
    /// tools act for that end user's connection, named by nothing.
    pub fn description_signed_in(self) -> String {
        self.summary().to_owned()
    }

    pub fn hints(self) -> Hints {
        match self {
            Tool::ListConnections
            | Tool::GetUserAccount
            | Tool::ListBoards
            | Tool::GetBoard
            | Tool::ListBoardPins
            | Tool::GetPin
            | Tool::SearchPins => READ,
            Tool::CreateBoard | Tool::CreatePin => CREATE,
            Tool::UpdateBoard | Tool::UpdatePin => UPDATE,
            Tool::DeleteBoard | Tool::DeletePin => DELETE,
        }
    }

    /// Whether it acts on Pinterest (MCP's open-world hint): all but
    /// `list_connections`, which reads pinbridge only.
    pub fn open_world(self) -> bool {
        self != Tool::ListConnections
    }

    /// The Pinterest scopes its call needs (Pinterest's API reference).
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Tool::ListConnections => &[],
            Tool::GetUserAccount => &["user_accounts:read"],
            Tool::ListBoards | Tool::GetBoard => &["boards:read"],
            Tool::CreateBoard | Tool::UpdateBoard => &["boards:read", "boards:write"],
            Tool::DeleteBoard => &["boards:read", "boards:write"],
            Tool::ListBoardPins | Tool::GetPin => &["boards:read", "pins:read"],
            // Pinterest's reference asks for the secret scopes too.
            Tool::SearchPins => &[
                "boards:read",
                "boards:read_secret",
                "pins:read",
                "pins:read_secret",
            ],
            Tool::CreatePin | Tool::UpdatePin => {
                &["boards:read", "boards:write", "pins:read", "pins:write"]
            }
            Tool::DeletePin => &["boards:read", "pins:write"],
        }
    }

    /// The JSON Schema of its arguments (JSON Schema 2020-12, as MCP asks).
    pub fn input_schema(self) -> Map<String, Value> {
        let mut schema = match self {
            Tool::ListConnections => input::<ListConnectionsArgs>(),
            Tool::GetUserAccount => input::<NoArgs>(),
            Tool::ListBoards => input::<ListBoardsArgs>(),
            Tool::GetBoard | Tool::DeleteBoard => input::<BoardArgs>(),
            Tool::CreateBoard => input::<CreateBoardArgs>(),
            Tool::UpdateBoard => input::<UpdateBoardArgs>(),
            Tool::ListBoardPins => input::<ListBoardPinsArgs>(),
            Tool::GetPin | Tool::DeletePin => input::<PinArgs>(),
            Tool::CreatePin => input::<CreatePinArgs>(),
            Tool::UpdatePin => input::<UpdatePinArgs>(),
            Tool::SearchPins => input::<SearchPinsArgs>(),
        };
        if self != Tool::ListConnections {
            add_target(&mut schema);
        }
        schema
    }

    /// Its arguments for an assistant signed in as one end user: without
    /// `connection_id` and `end_user_id`.
    pub fn input_schema_signed_in(self) -> Map<String, Value> {
        let mut schema = self.input_schema();
        if let Some(Value::Object(props)) = schema.get_mut("properties") {
            props.remove("connection_id");
            props.remove("end_user_id");
        }
        schema
    }

    /// The JSON Schema of its `structuredContent`.
    pub fn output_schema(self) -> Map<String, Value> {
        match self {
            Tool::ListConnections => output::<ConnectionList>(),
            Tool::GetUserAccount => output::<Account>(),
            Tool::ListBoards => output::<BoardPage>(),
            Tool::GetBoard | Tool::CreateBoard | Tool::UpdateBoard => output::<Board>(),
            Tool::DeleteBoard | Tool::DeletePin => output::<Deleted>(),
            Tool::ListBoardPins | Tool::SearchPins => output::<PinPage>(),
            Tool::GetPin | Tool::CreatePin | Tool::UpdatePin => output::<Pin>(),
        }
    }
}

fn object(schema: Schema) -> Map<String, Value> {
    match schema.to_value() {
        Value::Object(mut map) => {
            map.remove("$schema");
            map.remove("title");
            map
        }
        _ => Map::new(),
    }
}

fn input<T: JsonSchema>() -> Map<String, Value> {
    object(
        SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
}

fn output<T: JsonSchema>() -> Map<String, Value> {
    object(
        SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
}

/// Adds `connection_id` and `end_user_id` to a tool's arguments.
fn add_target(schema: &mut Map<String, Value>) {
    let target = input::<TargetArgs>();
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let (Value::Object(props), Some(Value::Object(extra))) =
        (properties, target.get("properties"))
    {
        for (name, property) in extra {
            props.insert(name.clone(), property.clone());
        }
    }
    schema.insert("type".into(), "object".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names = std::collections::BTreeSet::new();
        for tool in Tool::ALL {
            assert!(names.insert(tool.name()));
            assert_eq!(Tool::parse(tool.name()), Some(tool));
            assert!(tool.title().len() > 5 && tool.description().len() > 40);
        }
        assert_eq!(Tool::parse("nope"), None);
    }

    #[test]
    fn every_schema_is_an_object_and_targets_are_optional() {
        for tool in Tool::ALL {
            let input = tool.input_schema();
            assert_eq!(input.get("type"), Some(&Value::from("object")), "{tool:?}");
            assert!(!input.contains_key("$schema"));
            let props = input["properties"].as_object().unwrap();
            let required: Vec<&str> = input
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if tool != Tool::ListConnections {
                assert!(props.contains_key("connection_id"), "{tool:?}");
                assert!(props.contains_key("end_user_id"), "{tool:?}");
            }
            assert!(!required.contains(&"connection_id"));
            assert!(!required.contains(&"end_user_id"));
            let output = tool.output_schema();
            assert_eq!(output.get("type"), Some(&Value::from("object")), "{tool:?}");
        }
        let create = Tool::CreatePin.input_schema();
        let required = create["required"].as_array().unwrap();
        assert!(required.contains(&Value::from("board_id")));
        assert!(required.contains(&Value::from("image_url")));
    }

    #[test]
    fn hints_say_what_changes_things() {
        assert!(Tool::GetPin.hints().read_only);
        assert!(Tool::DeletePin.hints().destructive && !Tool::DeletePin.hints().read_only);
        assert!(!Tool::CreatePin.hints().idempotent);
        assert!(!Tool::ListConnections.open_world());
    }
}
