//! The OTLP exporters' HTTP client: the crate's own `reqwest` (rustls), run on the daemon's tokio runtime.
//! The SDK exports from its own threads; each request is spawned onto the runtime and awaited from there.

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use tokio::runtime::Handle;

#[derive(Debug, Clone)]
pub struct RuntimeClient {
    client: reqwest::Client,
    runtime: Handle,
}

impl RuntimeClient {
    /// A client on the current tokio runtime (call from inside it).
    pub fn new(timeout: std::time::Duration) -> Result<RuntimeClient, reqwest::Error> {
        Ok(RuntimeClient {
            client: reqwest::Client::builder().timeout(timeout).build()?,
            runtime: Handle::current(),
        })
    }
}

#[async_trait::async_trait]
impl HttpClient for RuntimeClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let request = reqwest::Request::try_from(request)?;
        let sent = crate::tasks::spawn_on(&self.runtime, async move {
            let resp = client.execute(request).await?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        });
        let (status, headers, body) = sent.await??;
        let mut response = Response::builder().status(status).body(body)?;
        *response.headers_mut() = headers;
        Ok(response)
    }
}
