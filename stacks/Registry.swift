import CairnEngine

/// Every stack `cairn` knows, by name. Add a stack by declaring it in this folder and listing it here.
public let registeredStacks: [StackDefinition] = [
    smallBusinessInvoices,
    driftWatch,
    benchSynthetic,
]
