# A registry value as stored: its kind and raw data. ExpandString stays unexpanded; DWord comes
# back as .NET's signed Int32; QWord as text (a JSON number would lose precision); bytes as hex.
$base = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive][string]$in.hive, [Microsoft.Win32.RegistryView][string]$in.view)
$key = $base.OpenSubKey([string]$in.path, $false)
if ($null -eq $key) {
  return [ordered]@{ key_exists = $false; exists = $false }
}
$name = [string]$in.name
if (@($key.GetValueNames()) -notcontains $name) {
  $key.Close()
  return [ordered]@{ key_exists = $true; exists = $false }
}
$kind = [string]$key.GetValueKind($name)
$value = $key.GetValue($name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
$key.Close()
if ($kind -eq 'QWord') {
  $data = [string]$value
} elseif ($value -is [byte[]]) {
  $data = [BitConverter]::ToString($value).Replace('-', '').ToLowerInvariant()
} elseif ($kind -eq 'MultiString') {
  $data = [string[]]$value
} else {
  $data = $value
}
return [ordered]@{ key_exists = $true; exists = $true; kind = $kind; data = $data }
