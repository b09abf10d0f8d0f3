// Starts `aml-baseline lsp` for ARM JSON, Bicep, Terraform and Azure ML CLI
// YAML documents. The server does the work: diagnostics, fixes as code
// actions, rule pages on hover.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

function settings() {
  const config = vscode.workspace.getConfiguration("aml-baseline");
  const ruleDocsUrl = config.get<string>("ruleDocsUrl", "");
  return {
    command: config.get<string>("path", "aml-baseline"),
    initializationOptions: {
      ruleDocsUrl: ruleDocsUrl === "" ? undefined : ruleDocsUrl,
      debounceMs: config.get<number>("debounceMs", 50),
    },
  };
}

async function start(): Promise<void> {
  const { command, initializationOptions } = settings();
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "json" },
      { scheme: "file", language: "jsonc" },
      { scheme: "file", language: "bicep" },
      { scheme: "file", language: "bicep-params" },
      { scheme: "file", language: "terraform" },
      { scheme: "file", language: "terraform-vars" },
      { scheme: "file", language: "yaml" },
      { scheme: "file", pattern: "**/*.{bicep,bicepparam,tf,tfvars}" },
    ],
    initializationOptions,
  };
  client = new LanguageClient("aml-baseline", "aml-baseline", serverOptions, clientOptions);
  await client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("aml-baseline.restart", async () => {
      await client?.stop();
      await start();
    }),
  );
  try {
    await start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `aml-baseline: could not start \`${settings().command} lsp\` (${String(error)}). ` +
        "Install aml-baseline or set aml-baseline.path.",
    );
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
