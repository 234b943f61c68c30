//! Registering palingenesis's MCP server with Codex: `[mcp_servers.palingenesis]` in `$CODEX_HOME/config.toml`,
//! edited with `toml_edit` so the rest of the file (comments, order, formatting) stays as it was.

use std::path::PathBuf;

use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::adapter::mcp::{McpConfigError, SERVER_NAME, read_optional, replace_with_backup};
use crate::adapter::{BoxError, Installed, McpChange, McpInstaller, McpServerSpec};

pub struct Mcp;

impl Mcp {
    fn edit(&self, change: impl FnOnce(&mut Table) -> bool) -> Result<McpChange, McpConfigError> {
        let path = self.config_path();
        let io = |source| McpConfigError::Io {
            path: path.clone(),
            source,
        };
        let old = read_optional(&path).map_err(io)?;
        let mut doc: DocumentMut =
            old.as_deref()
                .unwrap_or("")
                .parse()
                .map_err(|e: toml_edit::TomlError| McpConfigError::Parse {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
        let servers = doc
            .entry("mcp_servers")
            .or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| McpConfigError::NotATable {
                path: path.clone(),
                key: "mcp_servers".into(),
            })?;
        if !change(servers) {
            return Ok(McpChange::Unchanged);
        }
        let backup = replace_with_backup(&path, old.as_deref(), &doc.to_string()).map_err(io)?;
        Ok(McpChange::Changed { backup })
    }
}

impl McpInstaller for Mcp {
    fn config_path(&self) -> PathBuf {
        super::config::codex_home(&Default::default()).join("config.toml")
    }

    fn install(&self, server: &McpServerSpec) -> Result<McpChange, BoxError> {
        let table = server_table(server);
        let wanted = table.to_string();
        Ok(self.edit(|servers| {
            if servers
                .get(SERVER_NAME)
                .and_then(Item::as_table)
                .is_some_and(|t| t.to_string() == wanted)
            {
                return false;
            }
            servers.insert(SERVER_NAME, Item::Table(table));
            true
        })?)
    }

    fn uninstall(&self) -> Result<McpChange, BoxError> {
        if !self.config_path().exists() {
            return Ok(McpChange::Unchanged);
        }
        Ok(self.edit(|servers| servers.remove(SERVER_NAME).is_some())?)
    }

    fn installed(&self, server: &McpServerSpec) -> Result<Installed, BoxError> {
        let wanted = server_table(server).to_string();
        let mut found = Installed::No;
        // An edit that changes nothing writes nothing: a read through the same parsing.
        self.edit(|servers| {
            found = match servers.get(SERVER_NAME) {
                Some(item) if item.as_table().is_some_and(|t| t.to_string() == wanted) => {
                    Installed::Yes
                }
                Some(_) => Installed::Outdated,
                None => Installed::No,
            };
            false
        })?;
        Ok(found)
    }
}

/// Its `[mcp_servers.palingenesis]` table.
fn server_table(server: &McpServerSpec) -> Table {
    let mut table = Table::new();
    table.insert("command", value(server.command_str()));
    table.insert("args", value(server.args.iter().collect::<Array>()));
    if !server.env.is_empty() {
        let mut env = toml_edit::InlineTable::new();
        for (k, v) in &server.env {
            env.insert(k, v.as_str().into());
        }
        table.insert("env", value(env));
    }
    table
}
