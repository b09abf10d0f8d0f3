// A Bicep workspace that is mostly hardened: private, managed network, CMK,
// user-assigned identity and resource logs. It keeps one finding on purpose:
// the compute cluster keeps two nodes running (AMLB-PV6-001), and one
// accepted exception, suppressed inline below.

@description('Name of the workspace.')
param workspaceName string = 'mlw-bicep'

param location string = resourceGroup().location

@description('Key Vault key used for customer-managed encryption.')
param keyVaultId string = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kv-ml-keys'
param keyIdentifier string = 'https://kv-ml-keys.vault.azure.net/keys/mlw-key/0123456789abcdef0123456789abcdef'
param logAnalyticsWorkspaceId string = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/Microsoft.OperationalInsights/workspaces/law-security'

@minValue(0)
param clusterMinNodes int = 2

var suffix = uniqueString(resourceGroup().id, workspaceName)

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${workspaceName}'
  location: location
}

resource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-${suffix}'
  location: location
}

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'vnet-${suffix}'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.1.0.0/16'] }
    subnets: [
      {
        name: 'snet-compute'
        properties: {
          addressPrefix: '10.1.1.0/24'
          networkSecurityGroup: { id: nsg.id }
        }
      }
      {
        name: 'snet-pe'
        properties: { addressPrefix: '10.1.2.0/24' }
      }
    ]
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-01-01' = {
  name: 'st${suffix}'
  location: location
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    publicNetworkAccess: 'Disabled'
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {
  name: workspaceName
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    storageAccount: storage.id
    keyVault: keyVaultId
    primaryUserAssignedIdentity: identity.id
    publicNetworkAccess: 'Disabled'
    v1LegacyMode: true
    managedNetwork: { isolationMode: 'AllowOnlyApprovedOutbound' }
    encryption: {
      status: 'Enabled'
      identity: { userAssignedIdentity: identity.id }
      keyVaultProperties: {
        keyVaultArmId: keyVaultId
        keyIdentifier: keyIdentifier
      }
    }
  }
}

resource cluster 'Microsoft.MachineLearningServices/workspaces/computes@2024-04-01' = {
  parent: workspace
  name: 'cpu-cluster'
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    computeType: 'AmlCompute'
    disableLocalAuth: true
    properties: {
      vmSize: 'STANDARD_DS3_V2'
      scaleSettings: {
        minNodeCount: clusterMinNodes
        maxNodeCount: 4
      }
      enableNodePublicIp: false
      remoteLoginPortPublicAccess: 'Disabled'
      subnet: { id: '${vnet.id}/subnets/snet-compute' }
    }
  }
}

// aml-baseline-ignore AMLB-POL-679ddf89: the shared notebook instance runs scheduled jobs overnight; tracked in SEC-2041
resource notebook 'Microsoft.MachineLearningServices/workspaces/computes@2024-04-01' = {
  parent: workspace
  name: 'notebook-ci'
  location: location
  identity: { type: 'SystemAssigned' }
  properties: {
    computeType: 'ComputeInstance'
    disableLocalAuth: true
    properties: {
      vmSize: 'STANDARD_DS3_V2'
      enableNodePublicIp: false
      subnet: { id: '${vnet.id}/subnets/snet-compute' }
    }
  }
}

resource pe 'Microsoft.Network/privateEndpoints@2023-09-01' = {
  name: 'pe-${workspaceName}'
  location: location
  properties: {
    subnet: { id: '${vnet.id}/subnets/snet-pe' }
    privateLinkServiceConnections: [
      {
        name: 'amlworkspace'
        properties: {
          privateLinkServiceId: workspace.id
          groupIds: ['amlworkspace']
        }
      }
    ]
  }
}

resource dnsApi 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: 'privatelink.api.azureml.ms'
  location: 'global'
}

resource dnsNotebooks 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: 'privatelink.notebooks.azure.net'
  location: 'global'
}

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-09-01' = {
  parent: pe
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      { name: 'api', properties: { privateDnsZoneId: dnsApi.id } }
      { name: 'notebooks', properties: { privateDnsZoneId: dnsNotebooks.id } }
    ]
  }
}

resource logs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: workspace
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
  }
}

output workspaceId string = workspace.id
