// Everything a stack author writes with: `StackDefinition`, `StackEnvironment`, `Value` and
// `ResourceOptions` (CairnEngine); the resource types, `Input`, `Output`, `Tags` and policy documents
// (CairnResources); `JSON` for outputs and event patterns (CairnJSON). `import Cairn` is the only import
// a stack needs.
@_exported import CairnEngine
@_exported import CairnJSON
@_exported import CairnResources
