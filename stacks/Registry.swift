import Cairn

/// The seed stacks, which `cairn` (cairn/main.swift) hands to `CairnMain.main`. Add a stack by declaring it
/// in this folder and listing it here.
public let registeredStacks: [StackDefinition] = [
    smallBusinessInvoices,
    b2bEcommercePlatform,
    productionExperienceShowcase,
    ecommerceAIPlatform,
    cloudHealthDashboard,
    driftWatch,
    benchSynthetic,
    cairnStateBootstrap,
]
