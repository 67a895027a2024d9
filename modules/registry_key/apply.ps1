# Creates a registry key (with any missing keys above it) or deletes it; with recurse, its
# subkeys too. Without recurse, DeleteSubKey refuses a key that has subkeys.
$base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive][string]$in.hive, [Microsoft.Win32.RegistryView][string]$in.view)
if ([string]$in.ensure -eq 'present') {
  $key = $base.CreateSubKey([string]$in.path)
  $key.Close()
} elseif ([bool]$in.recurse) {
  $base.DeleteSubKeyTree([string]$in.path, $false)
} else {
  $base.DeleteSubKey([string]$in.path, $false)
}
return [ordered]@{ changed = $true }
