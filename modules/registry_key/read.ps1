# Whether a registry key exists, and how many subkeys and values it has.
$base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive][string]$in.hive, [Microsoft.Win32.RegistryView][string]$in.view)
$key = $base.OpenSubKey([string]$in.path, $false)
if ($null -eq $key) {
  return [ordered]@{ exists = $false }
}
$result = [ordered]@{ exists = $true; subkeys = [int]$key.SubKeyCount; values = [int]$key.ValueCount }
$key.Close()
return $result
