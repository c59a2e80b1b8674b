/** What `migrate init` writes: a runbook that validates and explains itself. */
export const STARTER_RUNBOOK = `# yaml-language-server: $schema=node_modules/migrate/schema/runbook.schema.json
# A migrate runbook: ordered stages, each with readiness checks, steps, an
# optional gate, a monitoring window, success criteria and rollback steps.
#   migrate validate          check this file
#   migrate plan 1            see what stage 1 would do
#   migrate stage 1           run it
#   migrate rollback          undo the current stage
version: 1
name: my-change                  # the journal is keyed by this name: keep it stable
description: What this change does, and why.

vars:                            # referenced as \${name}; --set name=value overrides
  app_url: { default: "http://localhost:8080" }
  # token: { env: API_TOKEN, secret: true }   # secrets print as *** everywhere

defaults: { timeout: 5m }

guards:                          # watched in every monitor window
  - name: service answers
    command: "true"              # replace: e.g. curl -fsS \${app_url}/health

stages:
  - id: 1
    name: Enable the new path
    risk: low                    # low | medium | high | critical (high and up imply a gate)
    preflight:                   # all must pass before anything runs
      - name: nothing else is migrating
        command: "test ! -e /tmp/maintenance"
    confirm: Enable the new path?
    steps:
      - id: enable
        run: echo "enable the feature here"
        # undo must also work if the step never ran or ran partly (a killed run leaves it "in doubt")
        undo: echo "disable the feature here"
      - id: smoke
        # no needs: waits for the step above; needs: [] would run it beside 'enable'
        run: echo "smoke test here"
        retries: 2
        retry_delay: 5s
    monitor:
      duration: 2m
      interval: 10s
      checks:
        - name: error count stays at zero
          command: echo 0        # prints a number, compared as 'value'
          expect: value == 0
      tolerate: 1                # consecutive failed samples allowed
      on_breach: rollback
    verify:
      - name: feature works end to end
        command: "true"
    rollback:                    # after the step undos, in order
      - run: echo "stage-level cleanup here"
`;
