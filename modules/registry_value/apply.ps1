# Sets a registry value (creating its key when missing) or deletes it. The controller sends
# DWord as a signed Int32, QWord as signed Int64 text and bytes as numbers, so no conversion
# here can overflow.
$base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive][string]$in.hive, [Microsoft.Win32.RegistryView][string]$in.view)
$name = [string]$in.name
if ([string]$in.ensure -eq 'absent') {
  $key = $base.OpenSubKey([string]$in.path, $true)
  if ($null -ne $key) {
    $key.DeleteValue($name, $false)
    $key.Close()
  }
  return [ordered]@{ changed = $true }
}
$kind = [string]$in.kind
if ($kind -eq 'DWord') {
  $data = [int]$in.data
} elseif ($kind -eq 'QWord') {
  $data = [long]::Parse([string]$in.data, [Globalization.CultureInfo]::InvariantCulture)
} elseif ($kind -eq 'MultiString') {
  $data = [string[]]@($in.data)
} elseif ($kind -eq 'Binary' -or $kind -eq 'None') {
  $data = [byte[]]@($in.data)
} else {
  $data = [string]$in.data
}
$key = $base.CreateSubKey([string]$in.path)
$key.SetValue($name, $data, [Microsoft.Win32.RegistryValueKind]$kind)
$key.Close()
return [ordered]@{ changed = $true }
