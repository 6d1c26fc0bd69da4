// The `cairn-fixtures` executable: every `cairn` command for the CLI tests' own stacks, so that the tests of
// generic behaviour (plan, apply, locks, interrupts, drift, ownership, state commands) never depend on the
// seed stacks' names or resource counts. Built by `swift build --build-tests` beside `cairn`.
import Cairn

await CairnMain.main(stacks: [fixtureApp, fixtureService, fixtureLists, fixtureMoves])
