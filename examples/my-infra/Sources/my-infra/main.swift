import Cairn

// Every `cairn` subcommand, for this package's stacks: `swift run my-infra plan my-infra`.
await CairnMain.main(stacks: [myInfra])
