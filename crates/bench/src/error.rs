//! The bench's one error type: every step that talks to a process, a file or a server says
//! which step failed.

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("starting kube-sim: {0}")]
    KubeSim(#[from] kube_sim::Error),
    #[error("starting ecs-sim: {0}")]
    EcsSim(#[from] ecs_sim::Error),
    #[error("{step}: {source}")]
    Kube {
        step: String,
        #[source]
        source: kube::Error,
    },
    #[error("{step}: {source}")]
    Io {
        step: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Failed(String),
}

impl BenchError {
    pub fn io(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let step = step.into();
        move |source| BenchError::Io { step, source }
    }

    pub fn kube(step: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let step = step.into();
        move |source| BenchError::Kube { step, source }
    }
}

pub type Result<T, E = BenchError> = std::result::Result<T, E>;
