import CairnEngine
import CairnResources

/// Seed 000: the AWS prerequisites of the Small Business Invoices CI/CD pipeline (eu-north-1).
public let smallBusinessInvoices = StackDefinition(
    name: "small-business-invoices",
    summary: "Seed 000: ECR repository, artifact bucket, ECS cluster and IAM roles for the invoices pipeline",
    region: "eu-north-1"
) { env in
    let cluster = ECSCluster("cluster", name: Input(env.suffixed("small-business-cluster")),
                             containerInsights: .enabled, tags: ["project": "small-business-invoices"])
    return (
        resources: [cluster],
        outputs: ["ECS_CLUSTER_NAME": .reference(cluster.clusterName.reference)]
    )
}
