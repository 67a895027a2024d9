# The ACL of a file, folder or registry key: owner, protection, explicit entries (by SID, raw
# access mask and flag bits, so the controller normalises them), whether the order is canonical,
# and the SID of every identity the resource names ($in.identities).
$target = [string]$in.target
$sidType = [Security.Principal.SecurityIdentifier]
$sections = [Security.AccessControl.AccessControlSections]'Access, Owner'
$toName = {
  param($sid)
  try {
    return $sid.Translate([Security.Principal.NTAccount]).Value
  } catch {
    return $null
  }
}
$identities = @()
foreach ($id in @($in.identities)) {
  $sid = $null
  try {
    if ([string]$id -match '^S-1-[0-9]+(-[0-9]+)*$') {
      $sid = [Security.Principal.SecurityIdentifier]::new([string]$id).Value
    } else {
      $sid = [Security.Principal.NTAccount]::new([string]$id).Translate($sidType).Value
    }
  } catch {
    $sid = $null
  }
  $identities += [ordered]@{ identity = [string]$id; sid = $sid }
}
if ($target -eq 'file') {
  if (-not (Test-Path -LiteralPath $in.path)) {
    return [ordered]@{ exists = $false; identities = $identities }
  }
  $item = Get-Item -LiteralPath $in.path -Force
  $type = 'file'
  if ($item.PSIsContainer) {
    $type = 'directory'
  }
  if ($item.PSObject.Methods.Name -contains 'GetAccessControl') {
    $acl = $item.GetAccessControl($sections)
  } else {
    $acl = [IO.FileSystemAclExtensions]::GetAccessControl($item, $sections)
  }
  $rightsProperty = 'FileSystemRights'
} else {
  $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive][string]$in.hive, [Microsoft.Win32.RegistryView][string]$in.view)
  # READ_CONTROL only: the ACL stays readable on keys whose values the caller may not read.
  $key = $base.OpenSubKey([string]$in.path, [Microsoft.Win32.RegistryKeyPermissionCheck]::Default, [Security.AccessControl.RegistryRights]::ReadPermissions)
  if ($null -eq $key) {
    return [ordered]@{ exists = $false; identities = $identities }
  }
  $type = 'key'
  $acl = $key.GetAccessControl($sections)
  $key.Close()
  $rightsProperty = 'RegistryRights'
}
$entries = @()
foreach ($rule in $acl.GetAccessRules($true, $false, $sidType)) {
  $entries += [ordered]@{ sid = $rule.IdentityReference.Value; name = (& $toName $rule.IdentityReference); rights = [int]$rule.$rightsProperty; type = [int]$rule.AccessControlType; inheritance = [int]$rule.InheritanceFlags; propagation = [int]$rule.PropagationFlags }
}
$inherited = @($acl.GetAccessRules($false, $true, $sidType)).Count
$owner = $acl.GetOwner($sidType)
return [ordered]@{ exists = $true; type = $type; owner = [ordered]@{ sid = $owner.Value; name = (& $toName $owner) }; protected = [bool]$acl.AreAccessRulesProtected; canonical = [bool]$acl.AreAccessRulesCanonical; entries = $entries; inherited = $inherited; identities = $identities }
