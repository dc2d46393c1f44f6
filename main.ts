import { App, TerraformStack } from "cdktf";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
const app = new App();
const s = new TerraformStack(app, "production");
new AwsProvider(s, "aws", { region: "us-east-1" });
new Vpc(s, "vpc", { cidrBlock: "10.0.0.0/16" });
app.synth();
