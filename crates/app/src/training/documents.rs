//! An extract job: turn the uploaded documents waiting in a source into
//! clean text and embedded chunks, each in its own transaction, each failing
//! alone; they go live together when the job ends.

use sha2::{Digest, Sha256};
use witzo_extract::{Limits, detect, extract_async};
use witzo_store::domain::{PageId, PageKind, PageStatus, SourceStatus};
use witzo_store::jobs::Job;
use witzo_store::sources::{PageOutcome, Source};

use super::worker::{JobEnd, JobError, knowledge_limit};
use super::{Progress, Stage, chunk_and_embed};
use crate::core::Core;

/// Extracts the waiting documents, or with `all` every document (retraining).
pub async fn run(state: &Core, job: &Job, source: &Source, all: bool) -> Result<JobEnd, JobError> {
    let queued = state.store.queued_documents(source.id, all).await?;
    extract(state, job, source, queued).await
}

/// Extracts one document again (none if it was deleted since).
pub async fn run_one(
    state: &Core,
    job: &Job,
    source: &Source,
    page: PageId,
) -> Result<JobEnd, JobError> {
    let queued = state.store.document_to_reextract(source.id, page).await?;
    extract(state, job, source, queued).await
}

async fn extract(
    state: &Core,
    job: &Job,
    source: &Source,
    queued: Vec<(i64, String, Vec<u8>, bool)>,
) -> Result<JobEnd, JobError> {
    let store = &state.store;
    let account = store.source_account(source.id).await?;
    let (limit, plan) = knowledge_limit(state, account, PageKind::Document).await?;
    let mut progress = Progress {
        stage: Stage::Extracting,
        total: Some(queued.len() as u64),
        ..Progress::default()
    };
    let lease = i64::try_from(state.config.jobs.lease_secs).unwrap_or(120);
    for (_, name, bytes, known) in queued {
        let now = witzo_store::now();
        progress.current = name.clone();
        store
            .set_job_progress(job.id, &progress, now + lease, now)
            .await?;
        if store.job_cancel_requested(job.id).await? {
            // What was extracted before the cancellation goes live.
            store.finish_run(source, job.id, false).await?;
            return Ok(JobEnd::Cancelled);
        }
        // Re-extracting a document that already counts adds nothing.
        let over_limit = match limit {
            Some(limit) if !known => {
                store.knowledge_count(account, PageKind::Document).await? >= limit
            }
            _ => false,
        };
        let outcome = if over_limit {
            let reason = format!(
                "plan limit: {} documents on the {plan} plan",
                limit.unwrap_or_default()
            );
            progress.skipped += 1;
            Err((PageStatus::Skipped, reason))
        } else {
            match detect(&name, &bytes) {
                Err(err) => Err((PageStatus::Failed, err.message())),
                Ok(kind) => match extract_async(kind, bytes, Limits::default()).await {
                    Ok(extracted) => Ok(extracted),
                    Err(err) => Err((PageStatus::Failed, err.message())),
                },
            }
        };
        let now = witzo_store::now();
        match outcome {
            Ok(extracted) => {
                let hash = hex::encode(Sha256::digest(extracted.text.as_bytes()));
                let title = extracted.title.unwrap_or_else(|| name.clone());
                let embeddings = state.indexes.embeddings();
                let chunks = chunk_and_embed(embeddings, &title, &extracted.text).await?;
                let page = PageOutcome::Indexed {
                    title: &title,
                    lang: "",
                    text: &extracted.text,
                    content_hash: &hash,
                    etag: "",
                    last_modified: "",
                    model: embeddings.model_id(),
                    chunks: &chunks,
                };
                store
                    .record_page(source, job.id, PageKind::Document, &name, &page, now)
                    .await?;
                progress.indexed += 1;
            }
            Err((outcome, reason)) => {
                store
                    .record_page(
                        source,
                        job.id,
                        PageKind::Document,
                        &name,
                        &PageOutcome::NoKnowledge {
                            outcome,
                            reason: &reason,
                        },
                        now,
                    )
                    .await?;
                if outcome == PageStatus::Failed {
                    progress.failed += 1;
                }
            }
        }
        progress.done += 1;
    }
    store.finish_run(source, job.id, false).await?;
    progress.stage = Stage::Done;
    progress.current.clear();
    let now = witzo_store::now();
    store.set_job_progress(job.id, &progress, now, now).await?;
    store
        .set_source_status(source.id, SourceStatus::Ready, "", now)
        .await?;
    Ok(JobEnd::Done)
}
