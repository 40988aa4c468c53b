#!/usr/bin/env bash
# Deletes everything deploy/infra/main.bicep created: one resource group holds it all.
#   deploy/infra/teardown.sh rg-docchat-prod            (asks you to type the name again)
#   deploy/infra/teardown.sh rg-docchat-prod --yes      (no question; for scripts)
#
# What survives a resource group delete, on purpose:
#   * Key Vault: soft-deleted for 90 days with purge protection, which cannot be overridden. Its name
#     stays reserved until then; redeploying with the same prefix/environment in the same subscription
#     therefore needs `az keyvault recover --name <vault>` (or a different environmentName).
#   * Azure OpenAI and Content Safety: soft-deleted for 48 hours; this script purges them (below) so
#     quota and the custom subdomains are released at once.
#   * The Entra app registration for sign-in (created by `az ad app create`, not by Bicep):
#     az ad app delete --id <authProxy.clientId>
set -euo pipefail

rg="${1:?usage: teardown.sh <resource-group> [--yes]}"
assume_yes="${2:-}"

if ! az group show --name "$rg" --output none 2>/dev/null; then
  echo "resource group $rg does not exist; nothing to delete"
  exit 0
fi

if [ "$assume_yes" != "--yes" ]; then
  read -r -p "Delete resource group $rg and everything in it? Type its name to confirm: " answer
  [ "$answer" = "$rg" ] || { echo "not confirmed; nothing deleted"; exit 1; }
fi

# Remember the soft-deletable resources before they disappear.
location="$(az group show --name "$rg" --query location --output tsv)"
mapfile -t openai_accounts < <(az cognitiveservices account list --resource-group "$rg" --query "[?kind=='OpenAI' || kind=='ContentSafety'].name" --output tsv)
mapfile -t vaults < <(az keyvault list --resource-group "$rg" --query "[].name" --output tsv)

echo "deleting $rg (this takes 10-20 minutes)..."
az group delete --name "$rg" --yes

for account in "${openai_accounts[@]}"; do
  echo "purging soft-deleted Cognitive Services account $account"
  az cognitiveservices account purge --name "$account" --resource-group "$rg" --location "$location"
done

for vault in "${vaults[@]}"; do
  echo "Key Vault $vault is soft-deleted with purge protection: it is purged automatically after 90 days."
done
echo "done. The kubeconfig context for the cluster is stale now: kubectl config delete-context <aks-name>"
