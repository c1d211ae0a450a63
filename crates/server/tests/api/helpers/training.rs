//! Training through the owner's API: sources, documents and the jobs that
//! process them. [`TestApp::drain_jobs`] runs queued jobs in the test,
//! one after another, instead of waiting for a background worker.

use std::time::{Duration, Instant};

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::views::{Job, Listed, Queued, QueuedMany, SourceDetail, Uploaded};
use super::{Owner, TestApp};

impl TestApp {
    /// `POST /api/widgets/{widget}/sources` with `body`, as it is.
    pub async fn add_source(&self, owner: &Owner, widget: i64, body: &Value) -> Response {
        let path = format!("/api/widgets/{widget}/sources");
        self.send_as(owner, Method::POST, &path, Some(body)).await
    }

    /// Adds the website at `url`; returns (source id, crawl job id).
    pub async fn add_site(&self, owner: &Owner, widget: i64, url: &str) -> (i64, i64) {
        let response = self.add_source(owner, widget, &json!({"url": url})).await;
        assert_eq!(response.status().as_u16(), 202);
        let queued: Queued = response.json().await.unwrap();
        (queued.source.unwrap().id, queued.job_id)
    }

    /// `POST /api/widgets/{widget}/documents` with `files` (name, bytes).
    pub async fn upload(
        &self,
        owner: &Owner,
        widget: i64,
        files: Vec<(&'static str, Vec<u8>)>,
    ) -> Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                "files",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        }
        let path = format!("/api/widgets/{widget}/documents");
        self.post_multipart(owner, &path, form).await
    }

    /// Uploads `files`, asserting `202`; returns the extraction job.
    pub async fn upload_documents(
        &self,
        owner: &Owner,
        widget: i64,
        files: Vec<(&'static str, Vec<u8>)>,
    ) -> Uploaded {
        let response = self.upload(owner, widget, files).await;
        assert_eq!(response.status().as_u16(), 202);
        response.json().await.unwrap()
    }

    /// A widget's sources.
    pub async fn sources(&self, owner: &Owner, widget: i64) -> Vec<Listed> {
        self.get_json(owner, &format!("/api/widgets/{widget}/sources"))
            .await
    }

    /// One source with its pages and their outcomes.
    pub async fn source(&self, owner: &Owner, source: i64) -> SourceDetail {
        self.get_json(owner, &format!("/api/sources/{source}"))
            .await
    }

    /// Retrains a source, asserting `202`; returns the job id.
    pub async fn retrain(&self, owner: &Owner, source: i64) -> i64 {
        let path = format!("/api/sources/{source}/retrain");
        let response = self.send_as(owner, Method::POST, &path, None).await;
        assert_eq!(response.status().as_u16(), 202);
        response.json::<Queued>().await.unwrap().job_id
    }

    /// Retrains every source of a widget, asserting `202`; returns the job ids.
    pub async fn retrain_all(&self, owner: &Owner, widget: i64) -> Vec<i64> {
        let path = format!("/api/widgets/{widget}/retrain");
        let response = self.send_as(owner, Method::POST, &path, None).await;
        assert_eq!(response.status().as_u16(), 202);
        response.json::<QueuedMany>().await.unwrap().job_ids
    }

    /// `DELETE /api/pages/{page}`.
    pub async fn delete_page(&self, owner: &Owner, page: i64) -> Response {
        let path = format!("/api/pages/{page}");
        self.send_as(owner, Method::DELETE, &path, None).await
    }

    /// `GET /api/jobs/{job}`.
    pub async fn job(&self, owner: &Owner, job: i64) -> Job {
        self.get_json(owner, &format!("/api/jobs/{job}")).await
    }

    /// `POST /api/jobs/{job}/cancel`.
    pub async fn cancel_job(&self, owner: &Owner, job: i64) -> Response {
        let path = format!("/api/jobs/{job}/cancel");
        self.send_as(owner, Method::POST, &path, None).await
    }

    /// Polls the job until a background worker ended it; returns its view.
    /// For tests about the worker itself: others use [`Self::drain_jobs`].
    pub async fn wait_job(&self, owner: &Owner, job: i64) -> Job {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let view = self.job(owner, job).await;
            if view.ended() {
                return view;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} did not finish: {view:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The widget's stored knowledge: every chunk that answers.
    pub async fn knowledge(&self, widget: i64) -> Vec<witzo_store::sources::KnowledgeChunk> {
        self.state
            .store
            .knowledge_of(witzo_store::domain::WidgetId::from_raw(widget))
            .await
            .unwrap()
    }

    /// Runs every queued job to its end in the test, one after another, as
    /// a worker would; returns how many ran. The app must have no
    /// background worker ([`super::no_workers`]), so nothing runs but this.
    pub async fn drain_jobs(&self) -> usize {
        assert_eq!(
            self.state.config.jobs.workers, 0,
            "drain_jobs needs an app without background workers"
        );
        let mut ran = 0;
        while witzo_app::training::worker::run_next(&self.state)
            .await
            .unwrap()
        {
            ran += 1;
        }
        ran
    }
}
