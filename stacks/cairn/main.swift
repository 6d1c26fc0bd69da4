// The `cairn` executable: the seed stacks, handed to Cairn the way any package declaring stacks does it
// (see examples/my-infra).
import Cairn
import Stacks

await CairnMain.main(stacks: registeredStacks)
