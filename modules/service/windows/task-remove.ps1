# Stop the scheduled task and unregister it. Input: name, path.
$t = Get-ScheduledTask -TaskPath ([string]$in.path) -TaskName ([string]$in.name) -ErrorAction SilentlyContinue
if ($null -eq $t) { return @{ removed = $false } }
if ([string]$t.State -eq 'Running') { Stop-ScheduledTask -InputObject $t }
Unregister-ScheduledTask -InputObject $t -Confirm:$false
return @{ removed = $true }
