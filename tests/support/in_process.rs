//! The daemon in-process: [`palingenesis::daemon::run`] on a socket bound in a temp dir and stopped by a
//! token, exactly what the binary runs, for tests of engine behaviour that need no separate process. Only
//! Claude is watched, in a transcript root inside the temp dir.

use std::path::Path;

use palingenesis::config::Config;
use palingenesis::daemon::{self, DaemonContext, DaemonError};
use palingenesis::paths::Paths;
use palingenesis::protocol::{Request, Response};
use tokio::net::UnixListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct InProcess {
    pub paths: Paths,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), DaemonError>>,
}

impl InProcess {
    /// Start a daemon whose home is `dir` (state kept there across starts), with `extra` TOML appended to
    /// its config.
    pub async fn start(dir: &Path, extra: &str) -> InProcess {
        let paths = Paths::under(dir);
        let projects = dir.join("claude-projects");
        std::fs::create_dir_all(&projects).unwrap();
        let text = format!(
            "[monitoring]\nassistants = [\"claude\"]\n\n[claude]\nprojects_dir = \"{}\"\n\n{extra}",
            projects.display()
        );
        let config: Config =
            palingenesis::config::load_from_str(&text, &paths.config_file, &[]).unwrap();
        let socket = paths.socket();
        std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket).unwrap();
        let shutdown = CancellationToken::new();
        let ctx = DaemonContext {
            paths: paths.clone(),
            config,
            reload: None,
        };
        let task = tokio::spawn(daemon::run(listener, ctx, shutdown.clone()));
        InProcess {
            paths,
            shutdown,
            task,
        }
    }

    /// Ask the daemon over its socket, as the CLI does.
    pub async fn request(&self, req: Request) -> Response {
        palingenesis::ipc::client::request_once(&self.paths.socket(), &req)
            .await
            .unwrap()
    }

    /// Stop it and wait until every task ended and state was saved.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}
