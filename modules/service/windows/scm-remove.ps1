# Stop a service and delete it from the SCM (an NSSM service too), waiting until it is gone so a
# new registration of the name can follow. Input: name.
$name = [string]$in.name
$svc = Get-Service -Name $name -ErrorAction SilentlyContinue
if ($null -eq $svc) { return @{ removed = $false } }
if ($svc.Status -ne 'Stopped') { Stop-Service -Name $name -Force }
$ErrorActionPreference = 'Continue'
$out = & sc.exe delete $name 2>&1
$ErrorActionPreference = 'Stop'
if ($LASTEXITCODE -ne 0 -and $LASTEXITCODE -ne 1072) { throw ('sc.exe delete ' + $name + ' failed with Win32 error ' + $LASTEXITCODE + ': ' + (($out | Out-String).Trim())) }
$deadline = (Get-Date).AddSeconds(30)
while ($null -ne (Get-Service -Name $name -ErrorAction SilentlyContinue)) {
  if ((Get-Date) -gt $deadline) { throw ('service ' + $name + ' is marked for deletion but still exists: close the Services console or Event Viewer that holds it open and apply again') }
  Start-Sleep -Milliseconds 250
}
return @{ removed = $true }
