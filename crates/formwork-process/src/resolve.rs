//! Reading the record and the directory through the [`Context`]: conditions, assignee rules
//! and which edges a gateway takes. Shared by the step function and the road-ahead walk, so
//! both decide alike.

use formwork_model::{AssigneeDef, NodeKind};

use crate::compile::CompiledProcess;
use crate::context::{Context, Fields};
use crate::error::EngineError;

/// A view of one record for one step: the context with the fields set so far laid over it.
pub(crate) struct Resolver<'a> {
    pub p: &'a CompiledProcess,
    pub ctx: &'a dyn Context,
    pub set: &'a Fields,
}

impl Resolver<'_> {
    pub fn eval_bool(&self, node: usize, expr: &str) -> Result<bool, EngineError> {
        self.ctx
            .eval_bool(expr, self.set)
            .map_err(|m| self.error(node, m))
    }

    pub fn error(&self, node: usize, message: String) -> EngineError {
        EngineError::Context {
            node: self.p.id(node).to_owned(),
            message,
        }
    }

    /// The values an `action` node's expressions give, each evaluated over the fields set
    /// before the node (the node's own assignments happen together).
    pub fn values(
        &self,
        node: usize,
        set: &std::collections::BTreeMap<String, String>,
    ) -> Result<Fields, EngineError> {
        let mut values = Fields::new();
        for (field, expr) in set {
            let value = self
                .ctx
                .eval(expr, self.set)
                .map_err(|m| self.error(node, m))?;
            values.insert(field.clone(), value);
        }
        Ok(values)
    }

    /// The users an assignee rule names, without duplicates, in rule order.
    pub fn assignees(&self, node: usize, rule: &AssigneeDef) -> Result<Vec<String>, EngineError> {
        let mut users = Vec::new();
        for user in self.resolve_rule(node, rule)? {
            if !user.is_empty() && !users.contains(&user) {
                users.push(user);
            }
        }
        Ok(users)
    }

    fn resolve_rule(&self, node: usize, rule: &AssigneeDef) -> Result<Vec<String>, EngineError> {
        match rule {
            AssigneeDef::Submitter => Ok(vec![self.ctx.submitter()]),
            AssigneeDef::Table { rows } => {
                for row in rows {
                    let hit = match &row.when {
                        None => true,
                        Some(when) => self.eval_bool(node, when)?,
                    };
                    if hit {
                        return self.resolve_rule(node, &row.assignee);
                    }
                }
                Ok(Vec::new())
            }
            other => self
                .ctx
                .resolve(other, self.set)
                .map_err(|m| self.error(node, m)),
        }
    }

    /// The id of the user a package names by username, if they exist.
    pub fn user_named(&self, node: usize, username: &str) -> Result<Option<String>, EngineError> {
        let rule = AssigneeDef::User {
            username: username.to_owned(),
        };
        Ok(self.assignees(node, &rule)?.into_iter().next())
    }

    /// The edge a condition node takes: the first whose `when` holds, else its default, with
    /// whether it was the default.
    pub fn choice(&self, node: usize) -> Result<Option<(usize, bool)>, EngineError> {
        let mut fallback = None;
        for (edge, to) in self.p.edges_from(node) {
            if edge.default {
                fallback = fallback.or(Some((to, true)));
            } else if let Some(when) = &edge.when
                && self.eval_bool(node, when)?
            {
                return Ok(Some((to, false)));
            }
        }
        Ok(fallback)
    }

    /// The branches (positions among the split's edges) a split starts now: all of a parallel
    /// split's; an inclusive split's whose `when` holds, else its default edge's.
    pub fn branches(&self, split: usize) -> Result<Vec<u32>, EngineError> {
        let all = (0u32..).zip(self.p.edges_from(split));
        if !matches!(self.p.def_of(split).kind, NodeKind::InclusiveSplit) {
            return Ok(all.map(|(b, _)| b).collect());
        }
        let mut taken = Vec::new();
        let mut default = Vec::new();
        for (branch, (edge, _)) in all {
            if edge.default {
                default.push(branch);
            } else if let Some(when) = &edge.when
                && self.eval_bool(split, when)?
            {
                taken.push(branch);
            }
        }
        Ok(if taken.is_empty() { default } else { taken })
    }
}
