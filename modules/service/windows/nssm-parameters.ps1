# Write NSSM's parameters where NSSM reads them (the service's Parameters key), typed: what
# `nssm set` does, without the values passing through a command line.
# Input: name, arguments (AppParameters, quoted here), set [{name, kind (ExpandString|DWord|
# MultiString), value}], remove [names],
# exit {Default: action, <code>: action}, log_directory (created when missing: NSSM opens the files
# but does not create their folder).
# Uses $joinArgs (prelude quote.ps1).
$name = [string]$in.name
if ($null -ne $in.log_directory) { [IO.Directory]::CreateDirectory([string]$in.log_directory) | Out-Null }
$key = [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SYSTEM\CurrentControlSet\Services\' + $name + '\Parameters', $true)
if ($null -eq $key) { throw ('service ' + $name + ' has no NSSM Parameters key: it is not an NSSM service') }
try {
  foreach ($p in @($in.set)) {
    $kind = [Microsoft.Win32.RegistryValueKind]([string]$p.kind)
    if ($kind -eq [Microsoft.Win32.RegistryValueKind]::DWord) {
      $value = [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$p.value), 0)
    } elseif ($kind -eq [Microsoft.Win32.RegistryValueKind]::MultiString) {
      $value = [string[]]@($p.value)
    } else {
      $value = [string]$p.value
    }
    $key.SetValue([string]$p.name, $value, $kind)
  }
  $key.SetValue('AppParameters', (& $joinArgs $in.arguments), [Microsoft.Win32.RegistryValueKind]::ExpandString)
  foreach ($n in @($in.remove)) {
    if ($null -ne $n) { $key.DeleteValue([string]$n, $false) }
  }
  $key.DeleteSubKeyTree('AppExit', $false)
  $exitKey = $key.CreateSubKey('AppExit')
  foreach ($e in $in.exit.PSObject.Properties) {
    $valueName = $e.Name
    if ($valueName -eq 'Default') { $valueName = '' }
    $exitKey.SetValue($valueName, [string]$e.Value, [Microsoft.Win32.RegistryValueKind]::ExpandString)
  }
  $exitKey.Close()
} finally {
  $key.Close()
}
return @{ parameters = $name }
